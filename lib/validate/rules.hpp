// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The rules of the Cell 0 kinds that no JSON Schema can say: cross-field, cross-file and
// "what Cell 0 really does" facts, each with a stable id, a severity and a remediation, each
// finding at the line and column of the offending node. The facts come from
// reference/cell0-os.md; each rule cites its section.

#include "lib/config/document.hpp"
#include "lib/validate/finding.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::validate::cell0 {

// What the rules may look at.
struct RuleInput
{
  std::string file;           // the name to put in findings
  std::filesystem::path path; // where the file is, for files it references (rule_files, ...)
  const config::Document& document;
  // The variables of `--env-file`, when given: `${VAR}` is then an error only when VAR is
  // unset or empty there. Without it, every `${VAR}` in a file whose reader never expands
  // it is an error.
  const std::map<std::string, std::string>* env = nullptr;
  // The environment an app_config.yaml is for ("production"); empty: the name of the folder
  // holding it, as ConfigManager uses it (reference §1.4).
  std::string environment;
};

struct RuleInfo
{
  std::string_view id;
  Severity severity;
  std::string_view summary;
};

// Every rule, sorted by id.
const std::vector<RuleInfo>& rules();

// Runs the rules of `kind` (an id of kinds()) over `input`. Never throws on odd content: a
// node of an unexpected type is left to the schema. Findings are in document order per rule.
std::vector<Finding> check_rules(std::string_view kind, const RuleInput& input);

// The metric names a PromQL expression refers to (identifiers that are not functions,
// keywords, label names or durations), each with its offset in `expr`.
std::vector<std::pair<std::string, std::size_t>> promql_metrics(std::string_view expr);

} // namespace cell0ctl::validate::cell0
