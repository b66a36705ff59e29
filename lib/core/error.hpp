// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <stdexcept>
#include <string>

namespace cell0ctl {

// Exit statuses, the same for every command (DESIGN.md, "Global contract").
enum class Errc {
  ok = 0,
  warnings = 1, // warnings found and `--fail-on warn` given
  failed = 2,   // failures or invalid input found
  unknown = 3,  // could not check: timeout, missing tool, internal error
  usage = 64,
  busy = 75,   // temporary failure, such as a lock held by another run
  config = 78, // cell0ctl's own configuration is invalid
};

// Returns the process exit status for `code`.
constexpr int exit_status(Errc code)
{
  return static_cast<int>(code);
}

// The one error type: thrown when the current command cannot go on, caught once in cli/app.cpp.
// `what()` says what failed, on which object and why; `hint()` says what to do next.
class Error : public std::runtime_error
{
public:
  Error(Errc code, const std::string& message, std::string hint = {});

  Errc code() const noexcept { return m_code; }
  const std::string& hint() const noexcept { return m_hint; }

private:
  Errc m_code;
  std::string m_hint;
};

} // namespace cell0ctl
