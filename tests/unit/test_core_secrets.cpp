// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/secrets.hpp"

#include <doctest/doctest.h>

#include <string>

using cell0ctl::redact;

TEST_CASE("redact")
{
  const std::string secret = "sk-live-0123456789abcdef";

  SUBCASE("a hidden secret is *** and the first 6 hex digits of its SHA-256")
  {
    CHECK(redact("abc", false) == "***ba7816");
    const std::string shown = redact(secret, false);
    CHECK(shown.size() == 9);
    CHECK(shown.rfind("***", 0) == 0);
    CHECK(shown.find_first_not_of("0123456789abcdef", 3) == std::string::npos);
  }

  SUBCASE("the same secret gives the same fingerprint, another a different one")
  {
    CHECK(redact(secret, false) == redact(std::string(secret), false));
    CHECK(redact(secret, false) != redact(secret + "x", false));
  }

  SUBCASE("the secret never appears, not even in part")
  {
    CHECK(redact(secret, false).find("sk-") == std::string::npos);
    CHECK(redact("123456", false).find("123456") == std::string::npos);
  }

  SUBCASE("show returns the secret as is")
  {
    CHECK(redact(secret, true) == secret);
  }

  SUBCASE("an empty secret says so")
  {
    CHECK(redact("", false) == "(empty)");
  }
}
