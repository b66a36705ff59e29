// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lib/sys/deadline.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl {

class Environ;

struct ProgramResult
{
  bool started = false;   // false: not found or not executable (see `error`)
  bool timed_out = false; // killed at the deadline
  int exit_code = -1;     // -1 when killed by a signal or not started
  std::string out;
  std::string err;
  std::string error; // why it did not start
};

// Runs `argv` (argv[0] a path, or a name looked up in PATH of `environ`) with no input, the
// environment of `environ`, and its output captured (at most 1 MiB each); kills it with
// SIGKILL at `deadline`. Never throws.
ProgramResult run_program(const std::vector<std::string>& argv,
                          const Environ& environ,
                          Deadline deadline);

// The first executable `name` in PATH of `environ`.
std::optional<std::filesystem::path> find_in_path(std::string_view name, const Environ& environ);

} // namespace cell0ctl
