// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/util/strings.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

using namespace cell0ctl::util;
using Fields = std::vector<std::string_view>;

TEST_CASE("trim")
{
  SUBCASE("leading and trailing blanks, tabs and newlines go, inner ones stay")
  {
    CHECK(trim("  a b\t\n") == "a b");
    CHECK(trim("\r\n x \r\n") == "x");
  }

  SUBCASE("an empty or all-blank text is empty")
  {
    CHECK(trim("") == "");
    CHECK(trim(" \t\n") == "");
  }
}

TEST_CASE("split")
{
  SUBCASE("every separator splits and empty fields are kept")
  {
    CHECK(split("a,b,c", ',') == Fields{"a", "b", "c"});
    CHECK(split(",a,,b,", ',') == Fields{"", "a", "", "b", ""});
  }

  SUBCASE("a text without the separator is one field, an empty text one empty field")
  {
    CHECK(split("abc", ',') == Fields{"abc"});
    CHECK(split("", ',') == Fields{""});
  }

  SUBCASE("NUL works as a separator, as /proc/<pid>/cmdline needs")
  {
    CHECK(split(std::string_view("a\0b", 3), '\0') == Fields{"a", "b"});
  }
}

TEST_CASE("join")
{
  CHECK(join({"a", "b", "c"}, ", ") == "a, b, c");
  CHECK(join({"a"}, ", ") == "a");
  CHECK(join({}, ", ") == "");
}

TEST_CASE("last_lines")
{
  SUBCASE("the last lines are kept, without the final newline")
  {
    CHECK(last_lines("a\nb\nc\n", 2) == "b\nc");
    CHECK(last_lines("a\nb\nc", 1) == "c");
  }

  SUBCASE("a text with fewer lines comes back whole")
  {
    CHECK(last_lines("a\nb", 5) == "a\nb");
    CHECK(last_lines("one line", 1) == "one line");
    CHECK(last_lines("", 3) == "");
  }

  SUBCASE("zero lines is empty")
  {
    CHECK(last_lines("a\nb\n", 0) == "");
  }

  SUBCASE("empty lines count as lines")
  {
    CHECK(last_lines("a\n\nb\n", 2) == "\nb");
  }
}

TEST_CASE("to_lower")
{
  CHECK(to_lower("HTTP://Host:80") == "http://host:80");
  CHECK(to_lower("\xc3\x89t\xc3\xa9") == "\xc3\x89t\xc3\xa9"); // ASCII only: UTF-8 bytes stay
}

TEST_CASE("parse_uint")
{
  unsigned long long value = 7;

  SUBCASE("a whole decimal number is read")
  {
    CHECK(parse_uint("0", value));
    CHECK(value == 0);
    CHECK(parse_uint("18789", value));
    CHECK(value == 18789);
    CHECK(parse_uint("18446744073709551615", value));
    CHECK(value == 18'446'744'073'709'551'615ull);
  }

  SUBCASE("signs, blanks, trailing text, empty text and overflow are refused")
  {
    CHECK_FALSE(parse_uint("", value));
    CHECK_FALSE(parse_uint("-1", value));
    CHECK_FALSE(parse_uint("+1", value));
    CHECK_FALSE(parse_uint(" 1", value));
    CHECK_FALSE(parse_uint("1 ", value));
    CHECK_FALSE(parse_uint("12ab", value));
    CHECK_FALSE(parse_uint("0x10", value));
    CHECK_FALSE(parse_uint("18446744073709551616", value));
  }
}

TEST_CASE("compare_versions")
{
  SUBCASE("fields compare as numbers, not as text")
  {
    CHECK(compare_versions("3.9", "3.11") < 0);
    CHECK(compare_versions("3.11", "3.9") > 0);
    CHECK(compare_versions("0.92.0", "0.93") < 0);
    CHECK(compare_versions("2.0", "1.99.99") > 0);
  }

  SUBCASE("a leading v and missing trailing zeros do not matter")
  {
    CHECK(compare_versions("v20.1.0", "20.1") == 0);
    CHECK(compare_versions("V1", "1.0.0") == 0);
  }

  SUBCASE("anything after the dotted numbers is ignored")
  {
    CHECK(compare_versions("1.2.3-rc1", "1.2.3") == 0);
    CHECK(compare_versions("3.11.4 (main)", "3.11.4") == 0);
  }
}
