// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/config/document.hpp"

#include "lib/config/loaders.hpp"
#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace cell0ctl::config {

std::string_view format_name(Format format)
{
  switch (format) {
  case Format::yaml:
    return "yaml";
  case Format::json:
    return "json";
  case Format::env:
    return "env";
  }
  return "yaml";
}

std::optional<Format> format_for(const fs::path& path)
{
  const std::string name = path.filename().string();
  const std::string extension = path.extension().string();
  if (extension == ".yaml" || extension == ".yml") {
    return Format::yaml;
  }
  if (extension == ".json") {
    return Format::json;
  }
  if (name == ".env" || extension == ".env" || name.starts_with(".env.")) {
    return Format::env;
  }
  return std::nullopt;
}

Document parse(std::string_view text, Format format, std::string name)
{
  Document out;
  out.name = std::move(name);
  out.format = format;
  // A UTF-8 byte order mark is not part of the first line's columns.
  if (text.starts_with("\xEF\xBB\xBF")) {
    text.remove_prefix(3);
  }
  switch (format) {
  case Format::yaml:
    parse_yaml(text, out);
    break;
  case Format::json:
    parse_json(text, out);
    break;
  case Format::env:
    parse_env(text, out);
    break;
  }
  return out;
}

Document load(const fs::path& path, std::optional<Format> format)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(Errc::failed, fmt::format("{}: cannot open the file", path.string()));
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw Error(Errc::failed, fmt::format("{}: cannot read the file", path.string()));
  }
  return parse(text.str(), format.value_or(format_for(path).value_or(Format::yaml)), path.string());
}

std::string describe(const std::string& name, const Diagnostic& diagnostic)
{
  std::string out = fmt::format("{}:{}:{}: {}",
                                name,
                                diagnostic.position.line,
                                diagnostic.position.column,
                                diagnostic.message);
  if (diagnostic.related.known()) {
    out += fmt::format(" (previously defined at {}:{}:{})",
                       name,
                       diagnostic.related.line,
                       diagnostic.related.column);
  }
  return out;
}

} // namespace cell0ctl::config
