// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

namespace cell0ctl {

struct Report;

struct TextStyle
{
  bool color = false;   // ANSI colours (a terminal without NO_COLOR, or --color always)
  bool quiet = false;   // only problems and the summary line
  bool verbose = false; // details of ok checks too
};

// Human text: problems first (fail, unknown, warn), each with its details and fix, then the
// rest, then one summary line.
void render_text(std::ostream& out, const Report& report, const TextStyle& style);

// The versioned JSON of DESIGN.md: {tool, version, command, status, duration_ms, summary,
// checks: [...]}.
nlohmann::ordered_json report_json(const Report& report, const std::string& command);

// JUnit XML: one testsuite per command, one testcase per check; fail -> <failure>,
// unknown -> <error>, skip -> <skipped>, warn -> passes with <system-out>.
void render_junit(std::ostream& out, const Report& report, const std::string& command);

} // namespace cell0ctl
