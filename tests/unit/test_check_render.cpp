// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/check/render.hpp"
#include "lib/util/strings.hpp"
#include "lib/check/runner.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "cell0ctl_version.hpp"

using namespace cell0ctl;
using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

namespace {

const Check k_ok{.id = "a.ok", .title = "All is fine", .depends_on = {}};
const Check k_warn{.id = "b.warn", .title = "Maybe", .depends_on = {}};
const Check k_fail{.id = "c.fail", .title = "Broken", .depends_on = {}};
const Check k_skip{.id = "d.skip", .title = "Skipped", .depends_on = {}};
const Check k_unknown{.id = "e.unk", .title = "Unknown", .depends_on = {}};

// One result of each status, in an order that is not the order of the text output.
Report sample_report()
{
  Report report;
  Finding fine = ok("fine");
  fine.details = "hidden detail";
  fine.remediation = "never shown";
  fine.measurements = {{"free", 12.5, "bytes"}};
  report.results.push_back({&k_ok, fine, 3ms, {}});
  report.results.push_back({&k_warn, warn("SLOW", "slow", "tune it"), 4ms, {}});
  Finding down = fail("DOWN", "down", "restart it");
  down.details = "line1\nline2";
  report.results.push_back({&k_fail, down, 5ms, {}});
  report.results.push_back({&k_skip, skip("blocked by c.fail (fail)"), 0ms, {"c.fail"}});
  report.results.push_back({&k_unknown, unknown("TIMEOUT", "timed out after 2.0s"), 2000ms, {}});
  report.duration = 12ms;
  return report;
}

std::string text(const Report& report, TextStyle style)
{
  std::ostringstream out;
  render_text(out, report, style);
  return out.str();
}

std::string junit(const Report& report, const std::string& command)
{
  std::ostringstream out;
  render_junit(out, report, command);
  return out.str();
}

Strings keys(const nlohmann::ordered_json& object)
{
  Strings out;
  for (const auto& item : object.items()) {
    out.push_back(item.key());
  }
  return out;
}

} // namespace

TEST_CASE("report_json")
{
  const auto json = report_json(sample_report(), "doctor");

  SUBCASE("the top level has exactly the DESIGN.md keys, in order")
  {
    CHECK(keys(json)
          == Strings{"tool",
                     "version",
                     "schema_version",
                     "command",
                     "status",
                     "duration_ms",
                     "summary",
                     "checks"});
    CHECK(json["tool"] == "cell0ctl");
    CHECK(json["version"] == CELL0CTL_VERSION);
    CHECK(json["schema_version"] == 1);
    CHECK(json["command"] == "doctor");
    CHECK(json["status"] == "fail");
    CHECK(json["duration_ms"] == 12);
  }

  SUBCASE("summary counts every status, in order")
  {
    CHECK(keys(json["summary"]) == Strings{"ok", "warn", "fail", "skip", "unknown"});
    CHECK(json["summary"]
          == nlohmann::ordered_json::parse(R"({"ok":1,"warn":1,"fail":1,"skip":1,"unknown":1})"));
  }

  SUBCASE("each check has exactly the DESIGN.md keys, in the order of the report")
  {
    REQUIRE(json["checks"].size() == 5);
    const auto& fine = json["checks"][0];
    CHECK(keys(fine)
          == Strings{"id",
                     "title",
                     "status",
                     "summary",
                     "details",
                     "remediation",
                     "code",
                     "duration_ms",
                     "blocked_by",
                     "measurements"});
    CHECK(fine["id"] == "a.ok");
    CHECK(fine["title"] == "All is fine");
    CHECK(fine["status"] == "ok");
    CHECK(fine["duration_ms"] == 3);
    CHECK(fine["blocked_by"] == nlohmann::ordered_json::array());
    CHECK(fine["measurements"].dump() == R"([{"name":"free","value":12.5,"unit":"bytes"}])");
    const auto& skipped = json["checks"][3];
    CHECK(skipped["status"] == "skip");
    CHECK(skipped["blocked_by"].dump() == R"(["c.fail"])");
    CHECK(json["checks"][4]["code"] == "TIMEOUT");
  }

  SUBCASE("an empty report is ok with empty checks")
  {
    const auto empty = report_json(Report{}, "health");
    CHECK(empty["status"] == "ok");
    CHECK(empty["checks"] == nlohmann::ordered_json::array());
  }
}

TEST_CASE("render_text")
{
  SUBCASE("problems come first, worst first, with details and fix; then the rest and a summary")
  {
    CHECK(text(sample_report(), {})
          == " ✗ c.fail  down\n"
             "     line1\n"
             "     line2\n"
             "     fix: restart it\n"
             " ? e.unk   timed out after 2.0s\n"
             " ! b.warn  slow\n"
             "     fix: tune it\n"
             " - d.skip  blocked by c.fail (fail)\n"
             " ✓ a.ok    fine\n"
             "\n"
             "1 ok, 1 warning, 1 failure, 1 skipped, 1 unknown in 12ms\n");
  }

  SUBCASE("quiet leaves out what is not a problem, verbose adds details but no fix for ok")
  {
    const std::string quiet = text(sample_report(), {.quiet = true});
    CHECK(quiet.find("a.ok") == std::string::npos);
    CHECK(quiet.find("d.skip") == std::string::npos);
    CHECK(quiet.find(" ✗ c.fail  down\n") != std::string::npos);
    const std::string verbose = text(sample_report(), {.verbose = true});
    CHECK(verbose.find(" ✓ a.ok    fine\n     hidden detail\n") != std::string::npos);
    CHECK(verbose.find("never shown") == std::string::npos);
  }

  SUBCASE("colour only when asked")
  {
    CHECK(text(sample_report(), {.color = false}).find('\033') == std::string::npos);
    const std::string colored = text(sample_report(), {.color = true});
    CHECK(colored.find("\033[31m✗\033[0m c.fail") != std::string::npos);
    CHECK(colored.find("\033[32m✓\033[0m a.ok") != std::string::npos);
  }

  SUBCASE("plurals follow the counts")
  {
    Report report;
    report.results.push_back({&k_warn, warn("A", "a"), 0ms, {}});
    report.results.push_back({&k_warn, warn("B", "b"), 0ms, {}});
    CHECK(text(report, {}).find("0 ok, 2 warnings, 0 failures, 0 skipped, 0 unknown in 0ms\n")
          != std::string::npos);
  }
}

TEST_CASE("render_junit")
{
  const std::string xml = junit(sample_report(), "doctor");

  SUBCASE("the suite counts tests, failures (fail), errors (unknown) and skipped")
  {
    CHECK(xml.rfind(
              "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"cell0ctl "
              "doctor\" tests=\"5\" failures=\"1\" errors=\"1\" skipped=\"1\" time=\"0.012\">\n",
              0)
          == 0);
    CHECK(xml.find("</testsuite>\n</testsuites>\n") == xml.size() - 27);
  }

  SUBCASE("fail is <failure>, unknown <error>, skip <skipped>, warn passes with system-out")
  {
    CHECK(xml.find("<testcase classname=\"doctor.c\" name=\"c.fail\" time=\"0.005\">\n"
                   "      <failure type=\"DOWN\" message=\"down\">line1\nline2\nfix: restart "
                   "it</failure>\n    </testcase>\n")
          != std::string::npos);
    CHECK(xml.find("<error type=\"TIMEOUT\" message=\"timed out after 2.0s\"></error>")
          != std::string::npos);
    CHECK(xml.find("<skipped message=\"blocked by c.fail (fail)\"/>") != std::string::npos);
    CHECK(xml.find("<system-out>warning: slow\nfix: tune it</system-out>") != std::string::npos);
    CHECK(xml.find("<testcase classname=\"doctor.a\" name=\"a.ok\" time=\"0.003\"></testcase>")
          != std::string::npos);
  }

  SUBCASE("text from findings and the command is escaped")
  {
    Report report;
    report.results.push_back(
        {&k_fail, fail("X&Y", "a < b & \"c\" 'd'", "edit <file> & retry"), 0ms, {}});
    const std::string escaped = junit(report, "health \"a&b\"");
    CHECK(escaped.find("<testsuites name=\"cell0ctl health &quot;a&amp;b&quot;\"")
          != std::string::npos);
    CHECK(escaped.find("<testsuite name=\"cell0ctl health &quot;a&amp;b&quot;\"")
          != std::string::npos);
    CHECK(escaped.find("a&b") == std::string::npos);
    CHECK(escaped.find("<failure type=\"X&amp;Y\" message=\"a &lt; b &amp; &quot;c&quot; "
                       "&apos;d&apos;\">fix: edit &lt;file&gt; &amp; retry</failure>")
          != std::string::npos);
  }
}

TEST_CASE("util::xml_escape")
{
  CHECK(util::xml_escape("<a href=\"x\">Tom & 'Jerry'</a>")
        == "&lt;a href=&quot;x&quot;&gt;Tom &amp; &apos;Jerry&apos;&lt;/a&gt;");
  CHECK(util::xml_escape("tab\tnew\nline\r") == "tab\tnew\nline\r");
  CHECK(util::xml_escape(std::string("bell\a esc\033 nul\0!", 16)) == "bell  esc  nul !");
  CHECK(util::xml_escape("caf\xc3\xa9") == "caf\xc3\xa9");
}
