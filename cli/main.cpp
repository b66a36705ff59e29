// SPDX-License-Identifier: GPL-3.0-or-later
#include "cli/session.hpp"

#include <cstdlib>
#include <iostream>

#include <unistd.h>

int main(int argc, char** argv)
{
  cell0ctl::cli::Session session{std::cout, std::cerr, cell0ctl::Environ::from_process()};
  session.out_is_terminal = ::isatty(STDOUT_FILENO) == 1;
  session.err_is_terminal = ::isatty(STDERR_FILENO) == 1;
  const int status = cell0ctl::cli::run(argc, argv, session);
  if (session.abandoned_work) {
    std::cout.flush();
    std::cerr.flush();
    std::_Exit(status); // checks past their deadline may still hold shared state
  }
  return status;
}
