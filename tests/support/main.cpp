// SPDX-License-Identifier: GPL-3.0-or-later
#define DOCTEST_CONFIG_IMPLEMENT
#include "lib/sys/http.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <exception>

int main(int argc, char** argv)
{
  try {
    cell0ctl::http_global_init();
  } catch (const std::exception& e) {
    // HTTP tests will fail and say why; the rest can still run.
    std::fprintf(stderr, "unit-tests: %s (set CELL0CTL_MODULE_DIR to build/cli)\n", e.what());
  }
  doctest::Context context(argc, argv);
  return context.run();
}
