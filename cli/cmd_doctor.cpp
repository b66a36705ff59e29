// SPDX-License-Identifier: GPL-3.0-or-later
#include "checks/registry.hpp"
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "lib/core/error.hpp"
#include "lib/util/strings.hpp"
#include "lib/util/units.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <memory>

namespace cell0ctl::cli {

namespace {

struct DoctorOptions
{
  std::vector<std::string> names;
  std::vector<std::string> skip;
  bool list = false;
  std::string fail_on = "fail";
  std::string timeout;
};

void list_checks(const std::vector<const Check*>& checks, const std::string& format, Session& session)
{
  if (format == "json") {
    nlohmann::json list = nlohmann::json::array();
    for (const Check* check : checks) {
      list.push_back({{"id", check->id},
                      {"title", check->title},
                      {"group", check->group()},
                      {"tags", tag_names(check->tags)},
                      {"depends_on", check->depends_on},
                      {"timeout_ms", check->timeout.count()},
                      {"touches", touch_names(check->touches)}});
    }
    session.out << list.dump(2) << '\n';
    return;
  }
  std::size_t width = 0;
  for (const Check* check : checks) {
    width = std::max(width, check->id.size());
  }
  for (const Check* check : checks) {
    const auto names = touch_names(check->touches);
    const std::vector<std::string> touches(names.begin(), names.end());
    session.out << fmt::format("{:<{}}  {}  [{}]\n",
                               check->id,
                               width,
                               check->title,
                               util::join(touches, ","));
  }
}

int run_doctor(const DoctorOptions& options, const GlobalOptions& global, Session& session)
{
  const std::string format = global.format.empty() ? "text" : global.format;
  require_format(format, "text,json,junit");
  RunOptions run_options;
  if (!options.timeout.empty()) {
    run_options.timeout = util::parse_duration(options.timeout);
    if (!run_options.timeout || run_options.timeout->count() <= 0) {
      throw Error(Errc::usage,
                  fmt::format("--timeout '{}': expected a duration such as 500ms, 2s or 1m",
                              options.timeout),
                  "a bare number means seconds");
    }
  }
  const auto selected =
      select_checks(checks::all_checks(), options.names, options.skip, tag_doctor);
  if (options.list) {
    list_checks(selected, format, session);
    return 0;
  }
  auto inputs = make_inputs(global, session);
  if (!run_options.timeout) {
    run_options.timeout = inputs->settings.duration("doctor.timeout");
  }
  const Report report = run_checks(selected, inputs, run_options);
  session.abandoned_work = report.abandoned > 0;
  if (format == "json") {
    session.out << report_json(report, "doctor").dump(2) << '\n';
  } else if (format == "junit") {
    render_junit(session.out, report, "doctor");
  } else {
    TextStyle style;
    style.color = use_color(global, session);
    style.quiet = global.quiet;
    style.verbose = global.verbosity > 0;
    render_text(session.out, report, style);
  }
  return report_exit_status(report, options.fail_on == "warn");
}

} // namespace

void add_doctor_command(CLI::App& app, GlobalOptions& global, Session& session)
{
  auto options = std::make_shared<DoctorOptions>();
  CLI::App* sub = app.add_subcommand("doctor", "Find every problem of this Cell 0 installation");
  sub->add_option("checks", options->names, "Checks or groups to run (default: all)")
      ->type_name("CHECK|GROUP");
  sub->add_flag("--list", options->list, "List the checks instead of running them");
  sub->add_option("--skip", options->skip, "Checks or groups not to run")
      ->type_name("CHECK|GROUP")
      ->delimiter(',');
  sub->add_option("--fail-on", options->fail_on, "Exit non-zero from this status up: warn or fail")
      ->check(CLI::IsMember({"warn", "fail"}))
      ->type_name("LEVEL");
  sub->add_option("--timeout", options->timeout, "Deadline of every check and of the whole run")
      ->type_name("DURATION");
  sub->footer("Formats (--format): text, json, junit. Exit: 0 ok, 1 warnings with --fail-on warn,\n"
              "2 failures, 3 could not check, 64 usage, 78 bad configuration. See cell0ctl-doctor(1).\n");
  sub->callback([options, &global, &session] {
    session.exit_status = run_doctor(*options, global, session);
  });
}

} // namespace cell0ctl::cli
