// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/error.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace cell0ctl;

TEST_CASE("exit_status")
{
  // DESIGN.md, "Global contract": these numbers are in the man page and scripts depend on them.
  CHECK(exit_status(Errc::ok) == 0);
  CHECK(exit_status(Errc::warnings) == 1);
  CHECK(exit_status(Errc::failed) == 2);
  CHECK(exit_status(Errc::unknown) == 3);
  CHECK(exit_status(Errc::usage) == 64);
  CHECK(exit_status(Errc::busy) == 75);
  CHECK(exit_status(Errc::config) == 78);
}

TEST_CASE("Error")
{
  SUBCASE("code, message and hint are kept")
  {
    const Error e(Errc::busy, "lock held by pid 12", "wait for it to finish");
    CHECK(e.code() == Errc::busy);
    CHECK(std::string(e.what()) == "lock held by pid 12");
    CHECK(e.hint() == "wait for it to finish");
  }

  SUBCASE("the hint is optional")
  {
    CHECK(Error(Errc::usage, "x").hint().empty());
  }
}
