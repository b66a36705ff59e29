// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lib/core/environ.hpp"

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

namespace cell0ctl::cli {

// Where a command reads and writes: the real process in main(), string streams in tests.
struct Session
{
  std::ostream& out;
  std::ostream& err;
  Environ environ;
  bool out_is_terminal = false;
  bool err_is_terminal = false;
  std::filesystem::path root = "/";
  int exit_status = 0;
  // Set when checks were left running past their deadline: main() must end the process
  // without running destructors under their feet.
  bool abandoned_work = false;
};

// Options every command takes (cell0ctl(1), GLOBAL OPTIONS).
struct GlobalOptions
{
  std::string config_file;
  std::string cell0_home;
  std::string format;
  std::string color = "auto";
  bool quiet = false;
  int verbosity = 0;
  std::string log_format = "text";
  std::vector<std::string> endpoints;
  bool show_secrets = false;
};

// Parses `argv` and runs the command; returns the exit status (DESIGN.md). Prints errors
// itself; never throws.
int run(int argc, const char* const* argv, Session& session);

} // namespace cell0ctl::cli
