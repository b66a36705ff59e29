// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The output formats of `validate-config` (cell0ctl-validate-config(1), FORMATS).

#include "lib/validate/validate.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <ostream>
#include <string>

namespace cell0ctl::validate {

struct TextStyle
{
  bool color = false;
  bool quiet = false;   // no summary line
  bool verbose = false; // list the skipped files, each with its reason
};

// `file:line:col: error|warning: message [rule-id]` (`file: ...` for a whole-file finding),
// the hint on the next line indented ("  hint: ..."), then a summary line unless quiet.
void render_text(std::ostream& out, const Report& report, const TextStyle& style);

// {"tool","version","schema_version","command","status","duration_ms",
//  "summary":{"files","errors","warnings"},"files":[{"file","kind","status","errors","warnings"}],
//  "findings":[{"file","line","column","severity","message","rule_id","hint"}]};
// status is "ok", "warn" or "fail", as doctor's. Line and column are 0 for a whole file.
nlohmann::ordered_json report_json(const Report& report, std::chrono::milliseconds duration);

// GitHub Actions workflow commands, one a finding:
// `::error file=F,line=L,col=C,title=RULE::message` (`::warning ...`), escaped as GitHub wants.
void render_github(std::ostream& out, const Report& report);

// JUnit XML: one test case a file, failing with its errors; warnings in its system-out.
void render_junit(std::ostream& out, const Report& report, std::chrono::milliseconds duration);

// SARIF 2.1.0: one run, the rules that were broken in tool.driver.rules, one result a finding.
nlohmann::ordered_json report_sarif(const Report& report);

// The one-line text form of a finding, without hint: "f.yaml:3:7: error: ... [schema/type]".
std::string format_finding(const Finding& finding);

} // namespace cell0ctl::validate
