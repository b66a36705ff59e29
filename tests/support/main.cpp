// SPDX-License-Identifier: GPL-3.0-or-later
#define DOCTEST_CONFIG_IMPLEMENT
#include "lib/sys/http.hpp"

#include <doctest/doctest.h>

int main(int argc, char** argv)
{
  cell0ctl::http_global_init();
  doctest::Context context(argc, argv);
  return context.run();
}
