// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.hpp"
#include "cli/session.hpp"
#include "lib/core/error.hpp"

#include "cell0ctl_version.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <sstream>

namespace cell0ctl::cli {

namespace {

void report(std::ostream& err, const Error& e)
{
  err << "cell0ctl: error: " << e.what() << '\n';
  if (!e.hint().empty()) {
    err << "cell0ctl: hint: " << e.hint() << '\n';
  }
}

void add_global_options(CLI::App& app, GlobalOptions& options)
{
  app.add_option("--config", options.config_file, "cell0ctl configuration file (YAML)")
      ->type_name("FILE");
  app.add_option("--cell0-home", options.cell0_home, "Cell 0 home (default: $CELL0_STATE_DIR, ~/.cell0)")
      ->type_name("DIR");
  app.add_option("--format", options.format, "Output format (text, json, junit, ...)")
      ->type_name("FMT");
  app.add_option("--color", options.color, "Colour the output: auto, always or never")
      ->check(CLI::IsMember({"auto", "always", "never"}))
      ->type_name("WHEN");
  app.add_flag("-q,--quiet", options.quiet, "Print only problems and errors");
  app.add_flag("-v,--verbose", options.verbosity, "Say where every value came from (-vv: more)");
  app.add_option("--log-format", options.log_format, "Log lines on stderr: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->type_name("FMT");
  app.add_option("--endpoint", options.endpoints, "Override an endpoint, e.g. cell0d=http://host:18800")
      ->type_name("NAME=URL")
      ->take_all();
  app.add_flag("--show-secrets", options.show_secrets, "Show secret values instead of *** and a fingerprint");
}

} // namespace

int run(int argc, const char* const* argv, Session& session)
{
  CLI::App app("cell0ctl: the operations toolkit for Cell 0 OS", "cell0ctl");
  app.set_version_flag("-V,--version", fmt::format("cell0ctl {}", CELL0CTL_VERSION));
  app.require_subcommand(1);
  app.fallthrough();
  app.footer("Run 'cell0ctl COMMAND --help' for the options of a command; see cell0ctl(1).");
  GlobalOptions options;
  add_global_options(app, options);
  add_doctor_command(app, options, session);
  add_validate_command(app, options, session);
  add_backup_command(app, options, session);
  add_restore_command(app, options, session);

  try {
    app.parse(argc, argv);
    return session.exit_status;
  } catch (const CLI::CallForHelp&) {
    session.out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp&) {
    session.out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::CallForVersion&) {
    session.out << app.version() << '\n';
    return 0;
  } catch (const CLI::ParseError& e) {
    if (app.get_subcommands().empty() && !app.remaining().empty()) {
      session.err << fmt::format("cell0ctl: error: unknown command '{}'\n", app.remaining().front());
      session.err << "cell0ctl: hint: the commands are listed by 'cell0ctl --help'\n";
      return exit_status(Errc::usage);
    }
    std::ostringstream out;
    std::ostringstream err;
    app.exit(e, out, err);
    session.out << out.str();
    std::string message = err.str();
    if (message.empty()) {
      message = e.what();
    }
    while (!message.empty() && message.back() == '\n') {
      message.pop_back();
    }
    // CLI11 prints "Run with --help for more information." itself; keep only the error line.
    if (const std::size_t cut = message.find("\nRun with --help"); cut != std::string::npos) {
      message.erase(cut);
    }
    session.err << "cell0ctl: error: " << message << '\n';
    session.err << "cell0ctl: hint: run 'cell0ctl --help' or 'cell0ctl COMMAND --help'\n";
    return exit_status(Errc::usage);
  } catch (const Error& e) { // the one place an Error is printed
    report(session.err, e);
    return exit_status(e.code());
  } catch (const std::exception& e) {
    session.err << "cell0ctl: error: internal error: " << e.what() << '\n';
    return exit_status(Errc::unknown);
  }
}

} // namespace cell0ctl::cli
