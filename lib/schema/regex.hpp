// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Regular expressions of `pattern` and `patternProperties`, through PCRE2 (UTF, Unicode
// properties for \d \w \s) with match and depth limits: a hostile pattern or input ends in a
// "limit exceeded" error, never a crash or a hang (std::regex recurses per character).

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

namespace cell0ctl::schema {

class Regex
{
public:
  // Compiles `pattern`; throws cell0ctl::Error(Errc::failed) with PCRE2's message and offset
  // when it is not a valid expression.
  explicit Regex(std::string_view pattern);
  ~Regex();
  Regex(const Regex&) = delete;
  Regex& operator=(const Regex&) = delete;

  // Whether the expression matches anywhere in `subject` (not anchored, as in ECMA-262's
  // RegExp.test). Throws Error(Errc::failed) when a limit is hit or `subject` is not UTF-8.
  bool search(std::string_view subject) const;

private:
  struct Code;
  std::unique_ptr<Code> m_code;
};

// Compiled expressions by pattern text. Not thread-safe.
class RegexCache
{
public:
  // The compiled `pattern` (compiled on first use); throws as Regex() does.
  const Regex& get(const std::string& pattern);

private:
  std::unordered_map<std::string, std::unique_ptr<Regex>> m_compiled;
};

} // namespace cell0ctl::schema
