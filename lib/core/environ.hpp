// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace cell0ctl {

// A snapshot of the process environment, passed down instead of calling getenv() deep inside
// the library, so that tests can give every check the environment they want.
class Environ
{
public:
  Environ() = default;
  explicit Environ(std::map<std::string, std::string, std::less<>> variables);

  // Reads the real environment of this process.
  static Environ from_process();

  // Returns the value of `name`, or nothing when it is unset. An empty value is returned as is.
  std::optional<std::string> get(std::string_view name) const;

  // Returns the value of `name` when it is set and not empty.
  std::optional<std::string> non_empty(std::string_view name) const;

  void set(std::string name, std::string value);

  const std::map<std::string, std::string, std::less<>>& all() const { return m_variables; }

private:
  std::map<std::string, std::string, std::less<>> m_variables;
};

} // namespace cell0ctl
