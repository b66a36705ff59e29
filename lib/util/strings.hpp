// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::util {

// Returns `text` without leading and trailing ASCII white space.
std::string_view trim(std::string_view text);

// Splits `text` at every `separator`; empty fields are kept.
std::vector<std::string_view> split(std::string_view text, char separator);

// Joins `parts` with `separator` between them.
std::string join(const std::vector<std::string>& parts, std::string_view separator);

// Returns the last `max_lines` lines of `text` (all of it when it has fewer).
std::string last_lines(std::string_view text, std::size_t max_lines);

// Returns `text` lower-cased (ASCII only).
std::string to_lower(std::string_view text);

// Escapes `text` for XML character data and attribute values: & < > " ' as entities, control
// characters that XML 1.0 does not allow as spaces.
std::string xml_escape(std::string_view text);

// Parses a whole decimal integer; returns false on anything else (sign, blanks, overflow).
bool parse_uint(std::string_view text, unsigned long long& value);

// Compares dotted version strings numerically ("3.9" < "3.11", "v20.1.0" == "20.1");
// a leading `v` and anything from the first character that is neither digit nor dot are ignored.
int compare_versions(std::string_view left, std::string_view right);

} // namespace cell0ctl::util
