// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/config/document.hpp"
#include "lib/validate/hints.hpp"
#include "lib/validate/render.hpp"

#include <doctest/doctest.h>

#include <sstream>

using namespace cell0ctl;
using namespace cell0ctl::validate;

namespace {

Report sample_report()
{
  Report report;
  report.files = {{"a.yaml", "", {1, 0}}, {"b,c.env", "", {0, 1}}};
  report.findings = {
      {"a.yaml",
       3,
       7,
       Severity::error,
       "/port: expected integer, got string",
       "schema/type",
       "this number is quoted: write 80 without quotes"},
      {"b,c.env", 0, 0, Severity::warning, "no schema for <this> file", "unknown-kind", ""},
  };
  report.tally = {1, 1};
  return report;
}

} // namespace

TEST_CASE("validate::edit_distance and did_you_mean")
{
  SUBCASE("a swap of neighbours, an insertion and case count as one")
  {
    CHECK(edit_distance("prot", "port") == 1);
    CHECK(edit_distance("hots", "host") == 1);
    CHECK(edit_distance("gatway", "gateway") == 1);
    CHECK(edit_distance("Port", "port") == 0);
    CHECK(edit_distance("", "abc") == 3);
  }
  SUBCASE("the closest candidate within the limit, none when all are far")
  {
    const std::vector<std::string> allowed = {"host", "port", "bind"};
    CHECK(did_you_mean("prot", allowed) == "port");
    CHECK(did_you_mean("hots", allowed) == "host");
    CHECK_FALSE(did_you_mean("tls", allowed).has_value());
    CHECK_FALSE(did_you_mean("port", allowed).has_value());
    CHECK(did_you_mean("authentcation", {"authentication", "authorization"}) == "authentication");
  }
}

TEST_CASE("validate::quoted_number_hint")
{
  const config::Document document =
      config::parse("a: \"8080\"\nb: 8080x\nc: \"x\"\nd: '1e3'\n", config::Format::yaml, "t");
  const config::Node& root = document.documents.at(0);
  CHECK(quoted_number_hint(*root.find("a")) == "this number is quoted: write 8080 without quotes");
  CHECK(quoted_number_hint(*root.find("b")).empty()); // not quoted, not a number
  CHECK(quoted_number_hint(*root.find("c")).empty());
  CHECK(quoted_number_hint(*root.find("d")) == "this number is quoted: write 1e3 without quotes");
}

TEST_CASE("validate renderers")
{
  const Report report = sample_report();
  SUBCASE("text is compiler style, the hint indented below, then a summary")
  {
    std::ostringstream out;
    render_text(out, report, {});
    CHECK(out.str()
          == "a.yaml:3:7: error: /port: expected integer, got string [schema/type]\n"
             "  hint: this number is quoted: write 80 without quotes\n"
             "b,c.env: warning: no schema for <this> file [unknown-kind]\n"
             "2 files checked: 1 error, 1 warning\n");
    std::ostringstream quiet;
    render_text(quiet, report, {.color = false, .quiet = true});
    CHECK(quiet.str().find("checked") == std::string::npos);
  }
  SUBCASE("github escapes properties and messages as workflow commands want")
  {
    std::ostringstream out;
    render_github(out, report);
    CHECK(out.str()
          == "::error file=a.yaml,line=3,col=7,title=schema/type::/port: expected integer, got "
             "string%0Ahint: this number is quoted: write 80 without quotes\n"
             "::warning file=b%2Cc.env,title=unknown-kind::no schema for <this> file\n");
  }
  SUBCASE("junit has one case a file, errors as failures, XML escaped")
  {
    std::ostringstream out;
    render_junit(out, report, std::chrono::milliseconds(1500));
    const std::string xml = out.str();
    CHECK(xml.find("tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"1.500\"")
          != std::string::npos);
    CHECK(xml.find("<failure type=\"schema/type\" message=\"/port: expected integer, got string\">")
          != std::string::npos);
    CHECK(xml.find("<system-out>b,c.env: warning: no schema for &lt;this&gt; file [unknown-kind]\n"
                   "</system-out>")
          != std::string::npos);
  }
  SUBCASE("json counts and lists every finding")
  {
    const auto json = report_json(report, std::chrono::milliseconds(3));
    CHECK(json["status"] == "fail");
    CHECK(json["summary"]["errors"] == 1);
    CHECK(json["files"][1]["status"] == "warn");
    CHECK(json["findings"][0]["column"] == 7);
  }
  SUBCASE("sarif lists each rule once and leaves out the region of a whole-file finding")
  {
    const auto sarif = report_sarif(report);
    const auto& run = sarif["runs"][0];
    CHECK(run["tool"]["driver"]["rules"].size() == 2);
    CHECK(run["results"][0]["locations"][0]["physicalLocation"]["region"]["startColumn"] == 7);
    CHECK(run["results"][1]["level"] == "warning");
    CHECK(run["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
          == "b,c.env");
    CHECK_FALSE(run["results"][1]["locations"][0]["physicalLocation"].contains("region"));
  }
}
