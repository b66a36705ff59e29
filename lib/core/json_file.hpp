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

// What a JSON file holds at its top level, found without building it in memory: for files that
// can be hundreds of megabytes (Cell 0's vector files) whose content only needs checking.
struct JsonShape
{
  bool exists = false;
  std::uintmax_t size = 0;
  bool parsed = false;
  std::string type;         // of the top-level value, as nlohmann's type_name(): "array", ...
  std::size_t elements = 0; // of a top-level array or object
  std::string error;        // why it did not parse or could not be read
  int line = 0;             // 1-based position of `error`, 0 when unknown
  int column = 0;
};

// Scans `path` with a SAX parser over a read-only mapping of it; never throws. Peak memory
// does not grow with the file, except to place an error.
JsonShape scan_json_file(const std::filesystem::path& path);

// Parses `text`, filling `error`, `line` and `column` of `out` on failure.
void parse_json_text(const std::string& text, JsonFile& out);

// Returns the line and column (1-based) of byte `offset` (0-based) of `text`.
std::pair<int, int> line_column(const std::string& text, std::size_t offset);

// Returns the value at dotted `path` ("gateway.auth.mode") when every step is an object key.
const nlohmann::json* json_at(const nlohmann::json& document, std::string_view path);

// The string at `path`, or nothing when absent or not a string.
std::optional<std::string> json_string(const nlohmann::json& document, std::string_view path);

} // namespace cell0ctl
