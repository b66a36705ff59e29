// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "lib/core/error.hpp"
#include "lib/core/locations.hpp"
#include "lib/core/settings.hpp"
#include "lib/validate/kind.hpp"
#include "lib/validate/render.hpp"
#include "lib/validate/validate.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <chrono>
#include <memory>

namespace fs = std::filesystem;

namespace cell0ctl::cli {

namespace {

constexpr std::string_view k_formats = "text,json,github,junit,sarif";

struct ValidateOptions
{
  std::vector<std::string> paths;
  std::string schema;
  std::vector<std::string> ref_maps;
  std::vector<std::string> schema_dirs;
  std::string default_draft = "2020-12";
  bool strict = false;
  bool strict_formats = false;
  std::string kind;
  std::string env_file;
  std::string export_schema;
};

// --format, else GitHub annotations inside GitHub Actions, else text.
std::string output_format(const GlobalOptions& global, const Session& session)
{
  if (!global.format.empty()) {
    require_format(global.format, k_formats);
    return global.format;
  }
  return session.environ.get("GITHUB_ACTIONS").value_or("") == "true" ? "github" : "text";
}

// cell0ctl's own configuration, read only to honour exit status 78 when it is invalid.
void check_settings(const GlobalOptions& global, const Session& session)
{
  if (!global.config_file.empty()) {
    Settings::load(global.config_file);
  } else if (const auto file = find_settings_file(
                 session.environ, user_home_directory(session.environ), session.root)) {
    Settings::load(*file);
  }
}

int export_schema(const std::string& name, Session& session)
{
  const validate::Kind* kind = validate::find_kind(name);
  if (kind == nullptr || kind->schema.empty()) {
    throw Error(Errc::usage,
                fmt::format("--export-schema '{}': {}",
                            name,
                            kind == nullptr ? "unknown kind" : "this kind has no schema"),
                fmt::format("the kinds with a schema are: {}", validate::schema_kind_names()));
  }
  session.out << kind->schema;
  if (!kind->schema.ends_with('\n')) {
    session.out << '\n';
  }
  return 0;
}

validate::Request make_request(const ValidateOptions& options)
{
  if (options.paths.empty()) {
    throw Error(Errc::usage,
                "validate-config: no PATH given",
                "name the files or folders to check, e.g. cell0ctl validate-config config/");
  }
  if (options.schema.empty() && (!options.ref_maps.empty() || !options.schema_dirs.empty())) {
    throw Error(Errc::usage, "--ref-map and --schema-dir need --schema");
  }
  validate::Request request;
  request.paths.assign(options.paths.begin(), options.paths.end());
  if (!options.schema.empty()) {
    request.schema = options.schema;
  }
  for (const std::string& value : options.ref_maps) {
    request.sources.ref_map.push_back(validate::parse_ref_map(value));
  }
  request.sources.schema_dirs.assign(options.schema_dirs.begin(), options.schema_dirs.end());
  request.schema_options.default_draft =
      options.default_draft == "7" ? schema::Draft::draft7 : schema::Draft::draft2020_12;
  request.schema_options.assert_formats = options.strict_formats;
  request.kind = options.kind;
  if (!options.env_file.empty()) {
    request.env_file = options.env_file;
  }
  return request;
}

int run_validate(const ValidateOptions& options, const GlobalOptions& global, Session& session)
{
  const std::string format = output_format(global, session);
  check_settings(global, session);
  if (!options.export_schema.empty()) {
    return export_schema(options.export_schema, session);
  }
  const auto started = std::chrono::steady_clock::now();
  const validate::Report report = validate::run(make_request(options));
  const auto duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  if (format == "json") {
    session.out << validate::report_json(report, duration).dump(2) << '\n';
  } else if (format == "sarif") {
    session.out << validate::report_sarif(report).dump(2) << '\n';
  } else if (format == "github") {
    validate::render_github(session.out, report);
  } else if (format == "junit") {
    validate::render_junit(session.out, report, duration);
  } else {
    const validate::TextStyle style{use_color(global, session), global.quiet, global.verbosity > 0};
    validate::render_text(session.out, report, style);
  }
  const bool failed = report.tally.errors > 0 || (options.strict && report.tally.warnings > 0);
  return failed ? exit_status(Errc::failed) : 0;
}

} // namespace

void add_validate_command(CLI::App& app, GlobalOptions& global, Session& session)
{
  auto options = std::make_shared<ValidateOptions>();
  CLI::App* sub =
      app.add_subcommand("validate-config", "Check configuration files, errors at file:line:col");
  sub->add_option("paths", options->paths, "Files and folders to check")->type_name("PATH");
  sub->add_option("--schema", options->schema, "Validate every file against this JSON Schema")
      ->type_name("FILE");
  sub->add_option("--ref-map",
                  options->ref_maps,
                  "Resolve remote $refs below URL-PREFIX from DIR (repeatable)")
      ->type_name("URL-PREFIX=DIR")
      ->allow_extra_args(false);
  sub->add_option("--schema-dir",
                  options->schema_dirs,
                  "Resolve $refs to the $ids of schemas in DIR (repeatable)")
      ->type_name("DIR")
      ->allow_extra_args(false);
  sub->add_option("--default-draft", options->default_draft, "Draft of schemas without $schema")
      ->check(CLI::IsMember({"7", "2020-12"}))
      ->type_name("DRAFT");
  sub->add_flag("--strict", options->strict, "Fail (exit 2) on warnings too");
  sub->add_flag("--strict-formats", options->strict_formats, "Make `format` an assertion");
  sub->add_option("--kind", options->kind, "Check every file as this kind instead of detecting it")
      ->type_name("KIND");
  sub->add_option("--env-file", options->env_file, "Variables that ${VAR} references may use")
      ->type_name("FILE");
  sub->add_option("--export-schema", options->export_schema, "Print the JSON Schema of KIND")
      ->type_name("KIND");
  sub->footer(
      "Formats (--format): text, json, github, junit, sarif (github by default when\n"
      "GITHUB_ACTIONS=true).\n"
      "Exit: 0 valid, 2 errors (or warnings with --strict), 64 usage, 78 bad configuration.\n"
      "See cell0ctl-validate-config(1).\n");
  sub->callback([options, &global, &session] {
    session.exit_status = run_validate(*options, global, session);
  });
}

} // namespace cell0ctl::cli
