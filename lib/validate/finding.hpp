// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What `validate-config` reports: one problem of one configuration file, at `file:line:col`.
// Every source of problems produces these: the loader (syntax, duplicate keys), the JSON
// Schema engine, and the rules of the Cell 0 kinds (lib/validate/kind.hpp).

#include <string>
#include <string_view>

namespace cell0ctl::validate {

enum class Severity { error, warning };

struct Finding
{
  std::string file; // the file name as the user gave it or as discovery found it
  int line = 0;     // 1-based; 0 when the finding is about the whole file (unreadable, no schema)
  int column = 0;   // 1-based, in Unicode code points; 0 with line 0
  Severity severity = Severity::error;
  std::string message; // lowercase, no position: "/gateway/port: expected integer, got string"
  std::string rule_id; // stable: "syntax", "duplicate-key", "schema/required", "unknown-kind"
  std::string hint;    // an action ("did you mean 'port'?"); may be empty
};

// Returns "error" or "warning".
std::string_view severity_name(Severity severity);

// Counts of a list of findings.
struct Tally
{
  int errors = 0;
  int warnings = 0;
};

} // namespace cell0ctl::validate
