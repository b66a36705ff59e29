// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/environ.hpp"

#include <utility>

extern char** environ; // NOLINT: POSIX

namespace cell0ctl {

Environ::Environ(std::map<std::string, std::string, std::less<>> variables)
    : m_variables(std::move(variables))
{
}

Environ Environ::from_process()
{
  std::map<std::string, std::string, std::less<>> variables;
  for (char** entry = ::environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    const std::size_t eq = text.find('=');
    if (eq != std::string_view::npos) {
      variables.emplace(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
    }
  }
  return Environ(std::move(variables));
}

std::optional<std::string> Environ::get(std::string_view name) const
{
  const auto it = m_variables.find(name);
  if (it == m_variables.end()) {
    return std::nullopt;
  }
  return it->second;
}

std::optional<std::string> Environ::non_empty(std::string_view name) const
{
  auto value = get(name);
  if (value && value->empty()) {
    return std::nullopt;
  }
  return value;
}

void Environ::set(std::string name, std::string value)
{
  m_variables.insert_or_assign(std::move(name), std::move(value));
}

} // namespace cell0ctl
