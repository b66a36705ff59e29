// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/environ.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <map>

using cell0ctl::Environ;
using Vars = std::map<std::string, std::string, std::less<>>;

TEST_CASE("Environ")
{
  SUBCASE("get tells unset from empty, non_empty does not")
  {
    const Environ env(Vars{{"EMPTY", ""}, {"SET", "x"}});
    CHECK(env.get("SET") == "x");
    CHECK(env.get("EMPTY") == "");
    CHECK(env.get("UNSET") == std::nullopt);
    CHECK(env.non_empty("SET") == "x");
    CHECK(env.non_empty("EMPTY") == std::nullopt);
    CHECK(env.non_empty("UNSET") == std::nullopt);
  }

  SUBCASE("set adds or replaces a variable")
  {
    Environ env;
    env.set("A", "1");
    env.set("A", "2");
    CHECK(env.get("A") == "2");
    CHECK(env.all().size() == 1);
  }

  SUBCASE("from_process reads the real environment, values with '=' included")
  {
    REQUIRE(::setenv("CELL0CTL_TEST_ENVIRON", "a=b", 1) == 0);
    const Environ env = Environ::from_process();
    ::unsetenv("CELL0CTL_TEST_ENVIRON");
    CHECK(env.get("CELL0CTL_TEST_ENVIRON") == "a=b");
  }
}
