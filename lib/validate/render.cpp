// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/validate/render.hpp"

#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <cctype>
#include <map>

#include "cell0ctl_version.hpp"

namespace cell0ctl::validate {

namespace {

constexpr std::string_view k_red = "\033[1;31m";
constexpr std::string_view k_yellow = "\033[1;33m";
constexpr std::string_view k_bold = "\033[1m";
constexpr std::string_view k_reset = "\033[0m";

std::string location(const Finding& finding)
{
  if (finding.line <= 0) {
    return finding.file;
  }
  if (finding.column <= 0) {
    return fmt::format("{}:{}", finding.file, finding.line);
  }
  return fmt::format("{}:{}:{}", finding.file, finding.line, finding.column);
}

std::string plural(int count, std::string_view word)
{
  return fmt::format("{} {}{}", count, word, count == 1 ? "" : "s");
}

std::string_view status_of(const Tally& tally)
{
  return tally.errors > 0 ? "fail" : tally.warnings > 0 ? "warn" : "ok";
}

// GitHub's escaping of a workflow command's message, and of its properties.
std::string github_escape(std::string_view text, bool property)
{
  std::string escaped;
  for (const char c : text) {
    switch (c) {
    case '%':
      escaped += "%25";
      break;
    case '\r':
      escaped += "%0D";
      break;
    case '\n':
      escaped += "%0A";
      break;
    case ':':
      escaped += property ? "%3A" : ":";
      break;
    case ',':
      escaped += property ? "%2C" : ",";
      break;
    default:
      escaped += c;
    }
  }
  return escaped;
}

// A relative URI reference for SARIF's artifactLocation: the path, percent-encoded.
std::string uri_reference(std::string_view path)
{
  std::string uri;
  for (const char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0
        || std::string_view("/-._~!$&'()*+,;=:@").find(c) != std::string_view::npos) {
      uri += c;
    } else {
      uri += fmt::format("%{:02X}", static_cast<unsigned>(u));
    }
  }
  return uri;
}

} // namespace

std::string format_finding(const Finding& finding)
{
  return fmt::format("{}: {}: {} [{}]",
                     location(finding),
                     severity_name(finding.severity),
                     finding.message,
                     finding.rule_id);
}

void render_text(std::ostream& out, const Report& report, const TextStyle& style)
{
  for (const Finding& f : report.findings) {
    if (style.color) {
      const std::string_view colour = f.severity == Severity::error ? k_red : k_yellow;
      out << fmt::format("{}{}:{} {}{}:{} {} [{}]\n",
                         k_bold,
                         location(f),
                         k_reset,
                         colour,
                         severity_name(f.severity),
                         k_reset,
                         f.message,
                         f.rule_id);
    } else {
      out << format_finding(f) << '\n';
    }
    if (!f.hint.empty()) {
      out << "  hint: " << f.hint << '\n';
    }
  }
  if (style.verbose) {
    for (const Skipped& file : report.skipped) {
      out << fmt::format("{}: skipped: {}\n", file.file, file.reason);
    }
  }
  if (!style.quiet) {
    out << fmt::format("{} checked: {}, {}",
                       plural(static_cast<int>(report.files.size()), "file"),
                       plural(report.tally.errors, "error"),
                       plural(report.tally.warnings, "warning"));
    if (!report.skipped.empty()) {
      out << fmt::format(" ({} skipped; -v lists them and why)", report.skipped.size());
    }
    out << '\n';
  }
}

nlohmann::ordered_json report_json(const Report& report, std::chrono::milliseconds duration)
{
  nlohmann::ordered_json files = nlohmann::ordered_json::array();
  for (const FileReport& file : report.files) {
    files.push_back(
        {{"file", file.file},
         {"kind", file.kind.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(file.kind)},
         {"status", status_of(file.tally)},
         {"errors", file.tally.errors},
         {"warnings", file.tally.warnings}});
  }
  nlohmann::ordered_json findings = nlohmann::ordered_json::array();
  for (const Finding& f : report.findings) {
    findings.push_back({{"file", f.file},
                        {"line", f.line},
                        {"column", f.column},
                        {"severity", severity_name(f.severity)},
                        {"message", f.message},
                        {"rule_id", f.rule_id},
                        {"hint", f.hint}});
  }
  nlohmann::ordered_json json = nlohmann::ordered_json::object();
  json["tool"] = "cell0ctl";
  json["version"] = CELL0CTL_VERSION;
  json["schema_version"] = 1;
  json["command"] = "validate-config";
  json["status"] = status_of(report.tally);
  json["duration_ms"] = duration.count();
  nlohmann::ordered_json skipped = nlohmann::ordered_json::array();
  for (const Skipped& file : report.skipped) {
    skipped.push_back({{"file", file.file}, {"reason", file.reason}});
  }
  json["summary"] = {{"files", report.files.size()},
                     {"errors", report.tally.errors},
                     {"warnings", report.tally.warnings},
                     {"skipped", report.skipped.size()}};
  json["files"] = std::move(files);
  json["skipped"] = std::move(skipped);
  json["findings"] = std::move(findings);
  return json;
}

void render_github(std::ostream& out, const Report& report)
{
  for (const Finding& f : report.findings) {
    std::string properties = "file=" + github_escape(f.file, true);
    if (f.line > 0) {
      properties += fmt::format(",line={}", f.line);
      if (f.column > 0) {
        properties += fmt::format(",col={}", f.column);
      }
    }
    properties += ",title=" + github_escape(f.rule_id, true);
    std::string message = f.message;
    if (!f.hint.empty()) {
      message += "\nhint: " + f.hint;
    }
    out << fmt::format(
        "::{} {}::{}\n", severity_name(f.severity), properties, github_escape(message, false));
  }
}

void render_junit(std::ostream& out, const Report& report, std::chrono::milliseconds duration)
{
  int failed = 0;
  for (const FileReport& file : report.files) {
    failed += file.tally.errors > 0 ? 1 : 0;
  }
  const std::string counts =
      fmt::format("name=\"cell0ctl validate-config\" tests=\"{}\" "
                  "failures=\"{}\" errors=\"0\" skipped=\"0\" time=\"{:.3f}\"",
                  report.files.size(),
                  failed,
                  static_cast<double>(duration.count()) / 1000.0);
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out << "<testsuites " << counts << ">\n";
  out << "  <testsuite " << counts << ">\n";
  std::size_t next = 0; // findings are grouped by file, in the order of report.files
  for (const FileReport& file : report.files) {
    std::string errors;
    std::string warnings;
    std::string first_error;
    std::string first_rule;
    for (; next < report.findings.size() && report.findings[next].file == file.file; ++next) {
      const Finding& f = report.findings[next];
      std::string line = format_finding(f) + (f.hint.empty() ? "" : "\n  hint: " + f.hint) + "\n";
      if (f.severity == Severity::error) {
        if (first_error.empty()) {
          first_error = f.message;
          first_rule = f.rule_id;
        }
        errors += line;
      } else {
        warnings += line;
      }
    }
    out << fmt::format("    <testcase classname=\"validate-config\" name=\"{}\" time=\"0.000\">",
                       util::xml_escape(file.file));
    if (!errors.empty()) {
      out << fmt::format("\n      <failure type=\"{}\" message=\"{}\">{}</failure>",
                         util::xml_escape(first_rule),
                         util::xml_escape(first_error),
                         util::xml_escape(errors));
    }
    if (!warnings.empty()) {
      out << fmt::format("\n      <system-out>{}</system-out>", util::xml_escape(warnings));
    }
    out << (errors.empty() && warnings.empty() ? "" : "\n    ") << "</testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

nlohmann::ordered_json report_sarif(const Report& report)
{
  nlohmann::ordered_json rules = nlohmann::ordered_json::array();
  std::map<std::string, std::size_t> rule_index;
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const Finding& f : report.findings) {
    auto [it, added] = rule_index.emplace(f.rule_id, rule_index.size());
    if (added) {
      rules.push_back({{"id", f.rule_id}, {"shortDescription", {{"text", f.rule_id}}}});
    }
    nlohmann::ordered_json physical = {{"artifactLocation", {{"uri", uri_reference(f.file)}}}};
    if (f.line > 0) {
      physical["region"] = {{"startLine", f.line}};
      if (f.column > 0) {
        physical["region"]["startColumn"] = f.column;
      }
    }
    std::string text = f.message;
    if (!f.hint.empty()) {
      text += "\nhint: " + f.hint;
    }
    results.push_back({{"ruleId", f.rule_id},
                       {"ruleIndex", it->second},
                       {"level", severity_name(f.severity)},
                       {"message", {{"text", text}}},
                       {"locations", {{{"physicalLocation", physical}}}}});
  }
  nlohmann::ordered_json driver = {
      {"name", "cell0ctl"}, {"version", CELL0CTL_VERSION}, {"rules", rules}};
  return {{"$schema", "https://json.schemastore.org/sarif-2.1.0.json"},
          {"version", "2.1.0"},
          {"runs", {{{"tool", {{"driver", driver}}}, {"results", results}}}}};
}

} // namespace cell0ctl::validate
