// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/util/units.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>
#include <optional>

using namespace cell0ctl::util;
using std::chrono::milliseconds;

TEST_CASE("parse_duration")
{
  SUBCASE("every unit of DESIGN.md is read in milliseconds")
  {
    CHECK(parse_duration("500ms") == milliseconds(500));
    CHECK(parse_duration("2s") == milliseconds(2000));
    CHECK(parse_duration("5m") == milliseconds(300'000));
    CHECK(parse_duration("1h") == milliseconds(3'600'000));
  }

  SUBCASE("a fraction is rounded to the millisecond")
  {
    CHECK(parse_duration("1.5s") == milliseconds(1500));
    CHECK(parse_duration("0.25s") == milliseconds(250));
  }

  SUBCASE("a bare number means seconds")
  {
    CHECK(parse_duration("3") == milliseconds(3000));
    CHECK(parse_duration("0") == milliseconds(0));
  }

  SUBCASE("blanks around the number and the unit are allowed")
  {
    CHECK(parse_duration(" 2s ") == milliseconds(2000));
    CHECK(parse_duration("2 s") == milliseconds(2000));
  }

  SUBCASE("anything else is nothing: empty, negative, unknown unit, unit alone, two dots")
  {
    CHECK(parse_duration("") == std::nullopt);
    CHECK(parse_duration("-1s") == std::nullopt);
    CHECK(parse_duration("2x") == std::nullopt);
    CHECK(parse_duration("ms") == std::nullopt);
    CHECK(parse_duration(".5s") == std::nullopt);
    CHECK(parse_duration("1.2.3s") == std::nullopt);
    CHECK(parse_duration("2S") == std::nullopt);
  }
}

TEST_CASE("format_duration")
{
  SUBCASE("under a second is whole milliseconds")
  {
    CHECK(format_duration(milliseconds(0)) == "0ms");
    CHECK(format_duration(milliseconds(850)) == "850ms");
    CHECK(format_duration(milliseconds(999)) == "999ms");
  }

  SUBCASE("under a minute is seconds with one decimal")
  {
    CHECK(format_duration(milliseconds(1000)) == "1.0s");
    CHECK(format_duration(milliseconds(2000)) == "2.0s");
    CHECK(format_duration(milliseconds(12'340)) == "12.3s");
  }

  SUBCASE("longer is whole minutes, then hours and minutes")
  {
    CHECK(format_duration(milliseconds(300'000)) == "5m");
    CHECK(format_duration(milliseconds(3'600'000)) == "1h");
    CHECK(format_duration(milliseconds(5'400'000)) == "1h30m");
  }
}

TEST_CASE("parse_size")
{
  SUBCASE("IEC units are powers of 1024 and SI units powers of 1000")
  {
    CHECK(parse_size("512KiB") == 524'288u);
    CHECK(parse_size("1KB") == 1000u);
    CHECK(parse_size("10MB") == 10'000'000u);
    CHECK(parse_size("10MiB") == 10'485'760u);
    CHECK(parse_size("2GiB") == 2'147'483'648u);
    CHECK(parse_size("2GB") == 2'000'000'000u);
    CHECK(parse_size("1TB") == 1'000'000'000'000u);
  }

  SUBCASE("K, M and G alone are IEC")
  {
    CHECK(parse_size("1K") == 1024u);
    CHECK(parse_size("1M") == 1'048'576u);
    CHECK(parse_size("1G") == 1'073'741'824u);
  }

  SUBCASE("a bare number and B are bytes, and fractions are rounded to the byte")
  {
    CHECK(parse_size("100") == 100u);
    CHECK(parse_size("100B") == 100u);
    CHECK(parse_size("1.5KiB") == 1536u);
  }

  SUBCASE("anything else is nothing, too large included")
  {
    CHECK(parse_size("") == std::nullopt);
    CHECK(parse_size("-1KB") == std::nullopt);
    CHECK(parse_size("10XB") == std::nullopt);
    CHECK(parse_size("MB") == std::nullopt);
    CHECK(parse_size("10mb") == std::nullopt);
    CHECK(parse_size("20000000TB") == std::nullopt);
  }
}

TEST_CASE("format_size")
{
  SUBCASE("under 1 KiB is whole bytes")
  {
    CHECK(format_size(0) == "0 B");
    CHECK(format_size(512) == "512 B");
    CHECK(format_size(1023) == "1023 B");
  }

  SUBCASE("larger is the largest IEC unit with one decimal")
  {
    CHECK(format_size(1024) == "1.0 KiB");
    CHECK(format_size(1536) == "1.5 KiB");
    CHECK(format_size(10'485'760) == "10.0 MiB");
    CHECK(format_size(12ull << 30u) == "12.0 GiB");
    CHECK(format_size(3ull << 40u) == "3.0 TiB");
  }

  SUBCASE("what parse_size reads, format_size writes back")
  {
    CHECK(format_size(*parse_size("2GiB")) == "2.0 GiB");
  }
}

// the next unit.
TEST_CASE("format_size just under 1 MiB")
{
  CHECK(format_size(1'048'575) == "1.0 MiB");
}

TEST_CASE("parse_point_in_time")
{
  using cell0ctl::util::parse_point_in_time;
  constexpr std::int64_t s = 1'000'000'000;
  // 2026-11-24T13:05:00Z
  constexpr std::int64_t t = 1'795'525'500LL * s;
  const std::int64_t now = t + 100 * s;
  CHECK(parse_point_in_time("2026-11-24T13:05:00Z", now) == t);
  CHECK(parse_point_in_time("2026-11-24T13:05Z", now) == t);
  CHECK(parse_point_in_time("2026-11-24T14:05:00+01:00", now) == t);
  CHECK(parse_point_in_time("2026-11-24T08:05:00-05:00", now) == t);
  CHECK(parse_point_in_time("100s", now) == t);
  CHECK(parse_point_in_time("2d", now) == now - 2 * 86'400 * s);

  SUBCASE("local time and dates follow TZ")
  {
    const char* saved = std::getenv("TZ");
    const std::string previous = saved ? saved : "";
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    CHECK(parse_point_in_time("2026-11-24 13:05", now) == t);
    CHECK(parse_point_in_time("2026-11-24 13:05:00", now) == t);
    // A date alone is the end of that day, its last nanosecond included.
    CHECK(parse_point_in_time("2026-11-24", now) == (1'795'478'400LL + 86'400) * s - 1);
    ::setenv("TZ", "Europe/Berlin", 1);
    ::tzset();
    CHECK(parse_point_in_time("2026-11-24 14:05", now) == t);
    if (saved) {
      ::setenv("TZ", previous.c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }

  SUBCASE("anything else is nothing")
  {
    for (const char* bad : {"", "yesterday", "2026-13-40", "2026-11-24T13:05:00+1",
                            "2026-11-24 13:05 extra", "12", "-3h"}) {
      CAPTURE(bad);
      CHECK_FALSE(parse_point_in_time(bad, now).has_value());
    }
  }
}
