// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>

namespace cell0ctl {

// A JSON file as read from disk: absent, unreadable, malformed (with the position of the
// error) or parsed.
struct JsonFile
{
  std::filesystem::path path;
  bool exists = false;
  std::uintmax_t size = 0;
  std::optional<nlohmann::json> document; // set when it parsed
  std::string error;                      // why it did not parse or could not be read
  int line = 0;                           // 1-based position of `error`, 0 when unknown
  int column = 0;

  bool parsed() const { return document.has_value(); }
};

// Reads and parses `path`; never throws.
JsonFile read_json_file(const std::filesystem::path& path);

// Parses `text`, filling `error`, `line` and `column` of `out` on failure.
void parse_json_text(const std::string& text, JsonFile& out);

// Returns the line and column (1-based) of byte `offset` (0-based) of `text`.
std::pair<int, int> line_column(const std::string& text, std::size_t offset);

// Returns the value at dotted `path` ("gateway.auth.mode") when every step is an object key.
const nlohmann::json* json_at(const nlohmann::json& document, std::string_view path);

// The string at `path`, or nothing when absent or not a string.
std::optional<std::string> json_string(const nlohmann::json& document, std::string_view path);

} // namespace cell0ctl
