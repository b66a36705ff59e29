// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/environ.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using cell0ctl::Environ;

TEST_CASE("Environ")
{
  SUBCASE("get tells unset from empty, non_empty does not")
  {
    const Environ environ({{"EMPTY", ""}, {"SET", "x"}});
    CHECK(environ.get("SET") == "x");
    CHECK(environ.get("EMPTY") == "");
    CHECK(environ.get("UNSET") == std::nullopt);
    CHECK(environ.non_empty("SET") == "x");
    CHECK(environ.non_empty("EMPTY") == std::nullopt);
    CHECK(environ.non_empty("UNSET") == std::nullopt);
  }

  SUBCASE("set adds or replaces a variable")
  {
    Environ environ;
    environ.set("A", "1");
    environ.set("A", "2");
    CHECK(environ.get("A") == "2");
    CHECK(environ.all().size() == 1);
  }

  SUBCASE("from_process reads the real environment, values with '=' included")
  {
    REQUIRE(::setenv("CELL0CTL_TEST_ENVIRON", "a=b", 1) == 0);
    const Environ environ = Environ::from_process();
    ::unsetenv("CELL0CTL_TEST_ENVIRON");
    CHECK(environ.get("CELL0CTL_TEST_ENVIRON") == "a=b");
  }
}
