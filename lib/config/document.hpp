// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Loading YAML, JSON and .env files into config::Node trees with positions.
//
// YAML follows the YAML 1.2 core schema, not YAML 1.1: `yes`, `no`, `on` and `off` are
// strings; `true`, `True`, `TRUE` (and the three spellings of false) are booleans; `~`,
// `null`, `Null`, `NULL` and an empty value are null; `017` is the decimal integer 17, `0o17`
// octal (15) and `0x1F` hexadecimal; `1e3`, `1.5`, `.5`, `.inf`, `-.Inf` and `.nan` are
// floats; a quoted scalar is always a string. Explicit tags `!!str`, `!!int`, `!!float`,
// `!!bool` and `!!null` are honoured; other tags are ignored. Aliases are expanded (a copy
// whose root is placed at the alias, its members where the anchor defined them); `<<` merge
// keys (a plain `<<` whose value is a mapping or a list of mappings) are applied, keys written
// in the mapping itself winning over merged ones and earlier merged mappings over later ones.
//
// .env files: one `KEY=VALUE` per line, blank lines and `#` comments ignored, an optional
// `export ` prefix, blanks around `=` allowed; unquoted values are trimmed and end at ` #`;
// '...' is literal; "..." knows the escapes \n \r \t \" \\ \$ and may span lines; a line
// with a key and no `=` is a key with a null value (take it from the environment). Every
// value is a string; no `${VAR}` expansion.
//
// In every format a duplicate key is an error naming both places (the later value is kept,
// as Python, JavaScript and docker compose would).

#include "lib/config/node.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::config {

enum class Format { yaml, json, env };

// Returns "yaml", "json" or "env".
std::string_view format_name(Format format);

// The format a file name implies: .yaml/.yml, .json, and .env, `*.env`, `.env.*`; nothing
// for any other name.
std::optional<Format> format_for(const std::filesystem::path& path);

// A problem found while loading: where, what, and for a duplicate key where the first one is.
struct Diagnostic
{
  Position position;
  std::string message; // lowercase, no position in it: "duplicate key 'port'"
  Position related;    // the first definition of a duplicate key; unknown otherwise
};

// A loaded file. YAML may hold several documents (`---`); JSON and .env hold one. A file
// with errors may still have documents: what could be read, for further checks.
struct Document
{
  std::string name; // the file name as given, used in messages
  Format format = Format::yaml;
  std::vector<Node> documents;
  std::vector<Diagnostic> errors;

  bool ok() const { return errors.empty(); }
};

// Limits that keep a hostile file from exhausting the stack or memory.
inline constexpr int k_max_depth = 256;                   // nesting of arrays and objects
inline constexpr std::size_t k_max_alias_nodes = 1000000; // nodes created by expanding aliases

// Parses `text` as `format`; `name` is only used in messages. Never throws on bad input:
// syntax errors, duplicate keys and limits become `errors`.
Document parse(std::string_view text, Format format, std::string name);

// Reads and parses the file `path` in `format` (default: format_for(path), else YAML, which
// also reads JSON). Throws Error(Errc::failed) when the file cannot be read.
Document load(const std::filesystem::path& path, std::optional<Format> format = {});

// Returns "name:line:col: message" (plus " (previously defined at name:line:col)" when the
// diagnostic has a related place), the form compilers and editors understand.
std::string describe(const std::string& name, const Diagnostic& diagnostic);

// Resolves the plain (unquoted, untagged) YAML scalar `text` by the YAML 1.2 core schema.
Node resolve_plain_scalar(std::string_view text);

} // namespace cell0ctl::config
