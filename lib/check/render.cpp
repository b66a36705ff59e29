// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/check/render.hpp"

#include "lib/util/strings.hpp"

#include "lib/check/runner.hpp"

#include "cell0ctl_version.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <numeric>

namespace cell0ctl {

namespace {

struct Look
{
  std::string_view symbol;
  std::string_view color;
};

Look look(Status status)
{
  switch (status) {
  case Status::ok:
    return {"✓", "\033[32m"};
  case Status::warn:
    return {"!", "\033[33m"};
  case Status::fail:
    return {"✗", "\033[31m"};
  case Status::skip:
    return {"-", "\033[2m"};
  case Status::unknown:
    return {"?", "\033[35m"};
  }
  return {"?", ""};
}

std::string paint(const TextStyle& style, std::string_view color, std::string_view text)
{
  if (!style.color || color.empty()) {
    return std::string(text);
  }
  return fmt::format("{}{}\033[0m", color, text);
}

void indent_lines(std::ostream& out, std::string_view text, std::string_view prefix)
{
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) {
      end = text.size();
    }
    out << prefix << text.substr(start, end - start) << '\n';
    start = end + 1;
  }
}

std::string plural(int n, std::string_view one, std::string_view many)
{
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

} // namespace

void render_text(std::ostream& out, const Report& report, const TextStyle& style)
{
  std::vector<const Result*> order;
  for (const Result& result : report.results) {
    order.push_back(&result);
  }
  std::stable_sort(order.begin(), order.end(), [](const Result* a, const Result* b) {
    return severity(a->finding.status) > severity(b->finding.status);
  });
  std::size_t width = 0;
  for (const Result* result : order) {
    width = std::max(width, result->check->id.size());
  }
  for (const Result* result : order) {
    const Finding& finding = result->finding;
    const bool problem = finding.status == Status::fail || finding.status == Status::warn
                         || finding.status == Status::unknown;
    if (style.quiet && !problem) {
      continue;
    }
    const Look l = look(finding.status);
    out << ' ' << paint(style, l.color, l.symbol) << ' '
        << fmt::format("{:<{}}", result->check->id, width) << "  " << finding.summary << '\n';
    if (!finding.details.empty() && (problem || style.verbose)) {
      indent_lines(out, finding.details, "     ");
    }
    if (!finding.remediation.empty() && problem) {
      indent_lines(out, finding.remediation, paint(style, "\033[1m", "     fix: "));
    }
  }
  const Summary s = report.summary();
  out << '\n'
      << fmt::format("{} ok, {}, {}, {} skipped, {} in {}ms\n",
                     s.ok,
                     plural(s.warn, "warning", "warnings"),
                     plural(s.fail, "failure", "failures"),
                     s.skip,
                     plural(s.unknown, "unknown", "unknown"),
                     report.duration.count());
}

nlohmann::ordered_json report_json(const Report& report, const std::string& command)
{
  const Summary s = report.summary();
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const Result& result : report.results) {
    const Finding& f = result.finding;
    nlohmann::ordered_json measurements = nlohmann::ordered_json::array();
    for (const Measurement& m : f.measurements) {
      measurements.push_back({{"name", m.name}, {"value", m.value}, {"unit", m.unit}});
    }
    checks.push_back({
        {"id", result.check->id},
        {"title", result.check->title},
        {"status", to_string(f.status)},
        {"summary", f.summary},
        {"details", f.details},
        {"remediation", f.remediation},
        {"code", f.code},
        {"duration_ms", result.duration.count()},
        {"blocked_by", result.blocked_by},
        {"measurements", measurements},
    });
  }
  return nlohmann::ordered_json{
      {"tool", "cell0ctl"},
      {"version", CELL0CTL_VERSION},
      {"schema_version", 1},
      {"command", command},
      {"status", to_string(report.overall())},
      {"duration_ms", report.duration.count()},
      {"summary",
       {{"ok", s.ok}, {"warn", s.warn}, {"fail", s.fail}, {"skip", s.skip}, {"unknown", s.unknown}}},
      {"checks", checks},
  };
}

void render_junit(std::ostream& out, const Report& report, const std::string& command)
{
  const Summary s = report.summary();
  const double seconds = static_cast<double>(report.duration.count()) / 1000.0;
  out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  // <testsuites> and its one <testsuite> carry the same counts.
  const std::string counts = fmt::format("name=\"cell0ctl {}\" tests=\"{}\" failures=\"{}\" "
                                         "errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\"",
                                         util::xml_escape(command),
                                         report.results.size(),
                                         s.fail,
                                         s.unknown,
                                         s.skip,
                                         seconds);
  out << "<testsuites " << counts << ">\n";
  out << "  <testsuite " << counts << ">\n";
  for (const Result& result : report.results) {
    const Finding& f = result.finding;
    const std::string id(result.check->id);
    out << fmt::format("    <testcase classname=\"{}.{}\" name=\"{}\" time=\"{:.3f}\">",
                       util::xml_escape(command),
                       util::xml_escape(result.check->group()),
                       util::xml_escape(id),
                       static_cast<double>(result.duration.count()) / 1000.0);
    std::string body = f.details;
    if (!f.remediation.empty()) {
      body += (body.empty() ? "" : "\n") + std::string("fix: ") + f.remediation;
    }
    switch (f.status) {
    case Status::fail:
      out << fmt::format("\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    ",
                         util::xml_escape(f.code),
                         util::xml_escape(f.summary),
                         util::xml_escape(body));
      break;
    case Status::unknown:
      out << fmt::format("\n      <error type=\"{}\" message=\"{}\">{}</error>\n    ",
                         util::xml_escape(f.code),
                         util::xml_escape(f.summary),
                         util::xml_escape(body));
      break;
    case Status::skip:
      out << fmt::format("\n      <skipped message=\"{}\"/>\n    ", util::xml_escape(f.summary));
      break;
    case Status::warn:
      out << fmt::format("\n      <system-out>warning: {}{}</system-out>\n    ",
                         util::xml_escape(f.summary),
                         body.empty() ? "" : "\n" + util::xml_escape(body));
      break;
    case Status::ok:
      break;
    }
    out << "</testcase>\n";
  }
  out << "  </testsuite>\n</testsuites>\n";
}

} // namespace cell0ctl
