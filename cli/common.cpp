// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/common.hpp"

#include "lib/core/error.hpp"
#include "lib/sys/http.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl::cli {

Log::Log(const GlobalOptions& options, Session& session)
    : m_verbosity(options.quiet ? -1 : options.verbosity),
      m_json(options.log_format == "json"),
      m_session(session)
{
}

void Log::info(std::string_view message) const
{
  if (enabled(1)) {
    write("info", message);
  }
}

void Log::debug(std::string_view message) const
{
  if (enabled(2)) {
    write("debug", message);
  }
}

void Log::write(std::string_view level, std::string_view message) const
{
  if (m_json) {
    m_session.err << nlohmann::json{{"level", level}, {"msg", message}}.dump() << '\n';
  } else {
    m_session.err << "cell0ctl: " << message << '\n';
  }
}

std::shared_ptr<Inputs> make_inputs(const GlobalOptions& options, Session& session)
{
  // libcurl (and OpenSSL under it) is set up only by commands that may use the network, before
  // any check thread starts: `--version` and `--help` stay cheap.
  http_global_init();
  auto inputs = std::make_shared<Inputs>();
  const Log log(options, session);
  inputs->root = session.root;
  inputs->environ = session.environ;
  inputs->user_home = user_home_directory(session.environ);
  inputs->uid = ::getuid();
  inputs->show_secrets = options.show_secrets;

  std::optional<fs::path> config_file;
  std::string config_source;
  if (!options.config_file.empty()) {
    config_file = options.config_file;
    config_source = "--config";
  } else if ((config_file = find_settings_file(session.environ, inputs->user_home, session.root))) {
    config_source = session.environ.non_empty("CELL0CTL_CONFIG") ? "$CELL0CTL_CONFIG" : "search";
  }
  if (config_file) {
    inputs->settings = Settings::load(*config_file);
    log.info(fmt::format("config {} (from {})", config_file->string(), config_source));
  } else {
    log.info("config: none found ($CELL0CTL_CONFIG, ~/.config/cell0ctl/config.yaml, "
             "/etc/cell0/cell0ctl.yaml); using defaults");
  }

  const std::optional<fs::path> home_flag =
      options.cell0_home.empty() ? std::nullopt : std::optional<fs::path>(options.cell0_home);
  inputs->home = resolve_home(home_flag, inputs->settings, session.environ, inputs->user_home);
  inputs->home.value = fs::absolute(inputs->home.value).lexically_normal();
  log.info(fmt::format("cell0 home {} (from {})",
                       inputs->home.value.string(),
                       inputs->home.source));

  const JsonFile cell0_json = read_json_file(inputs->home.value / "cell0.json");
  inputs->endpoints = resolve_endpoints(options.endpoints,
                                        inputs->settings,
                                        session.environ,
                                        cell0_json.parsed() ? &*cell0_json.document : nullptr);
  for (const Endpoint& endpoint : inputs->endpoints) {
    log.info(fmt::format("endpoint {} {} (from {})",
                         endpoint.name,
                         redact_url(endpoint.url),
                         endpoint.source));
  }
  return inputs;
}

bool use_color(const GlobalOptions& options, const Session& session)
{
  if (options.color == "always") {
    return true;
  }
  if (options.color == "never" || session.environ.get("NO_COLOR")) {
    return false;
  }
  return session.out_is_terminal && session.environ.get("TERM").value_or("") != "dumb";
}

void require_format(const std::string& format, std::string_view allowed)
{
  for (const std::string_view name : util::split(allowed, ',')) {
    if (format == name) {
      return;
    }
  }
  throw Error(Errc::usage,
              fmt::format("--format '{}' is not available here", format),
              fmt::format("use one of: {}", allowed));
}

int report_exit_status(const Report& report, bool fail_on_warn)
{
  // A check that could not read its settings means cell0ctl's configuration is wrong.
  for (const Result& result : report.results) {
    if (result.finding.code == "CONFIG_ERROR") {
      return exit_status(Errc::config);
    }
  }
  const Summary s = report.summary();
  if (s.fail > 0) {
    return exit_status(Errc::failed);
  }
  if (s.unknown > 0) {
    return exit_status(Errc::unknown);
  }
  if (s.warn > 0 && fail_on_warn) {
    return exit_status(Errc::warnings);
  }
  return 0;
}

} // namespace cell0ctl::cli
