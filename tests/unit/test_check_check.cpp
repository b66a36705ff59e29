// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/check/check.hpp"

#include <doctest/doctest.h>

#include <string_view>
#include <vector>

using namespace cell0ctl;
using Names = std::vector<std::string_view>;

TEST_CASE("to_string")
{
  CHECK(to_string(Status::ok) == "ok");
  CHECK(to_string(Status::warn) == "warn");
  CHECK(to_string(Status::fail) == "fail");
  CHECK(to_string(Status::skip) == "skip");
  CHECK(to_string(Status::unknown) == "unknown");
}

TEST_CASE("severity")
{
  CHECK(severity(Status::ok) < severity(Status::skip));
  CHECK(severity(Status::skip) < severity(Status::warn));
  CHECK(severity(Status::warn) < severity(Status::unknown));
  CHECK(severity(Status::unknown) < severity(Status::fail));
}

TEST_CASE("tag_names and touch_names")
{
  SUBCASE("each bit set gives its name, in a fixed order")
  {
    CHECK(tag_names(tag_health | tag_doctor) == Names{"doctor", "health"});
    CHECK(tag_names(tag_liveness | tag_readiness | tag_startup | tag_backup_preflight)
          == Names{"liveness", "readiness", "startup", "backup-preflight"});
    CHECK(touch_names(touch_processes | touch_files | touch_loopback | touch_remote)
          == Names{"files", "loopback", "remote", "processes"});
  }

  SUBCASE("no bits, no names")
  {
    CHECK(tag_names(0).empty());
    CHECK(touch_names(0).empty());
  }
}

TEST_CASE("Finding constructors")
{
  SUBCASE("ok and skip carry a summary only")
  {
    const Finding fine = ok("fine");
    CHECK(fine.status == Status::ok);
    CHECK(fine.summary == "fine");
    CHECK(fine.code.empty());
    CHECK(skip("n/a").status == Status::skip);
  }

  SUBCASE("warn and fail carry code, summary and remediation")
  {
    const Finding w = warn("LOW", "low", "raise it");
    CHECK(w.status == Status::warn);
    CHECK(w.code == "LOW");
    CHECK(w.summary == "low");
    CHECK(w.remediation == "raise it");
    const Finding f = fail("DOWN", "down", "start it");
    CHECK(f.status == Status::fail);
    CHECK(f.code == "DOWN");
    CHECK(f.remediation == "start it");
  }

  SUBCASE("unknown carries code and summary")
  {
    const Finding u = unknown("TIMEOUT", "timed out");
    CHECK(u.status == Status::unknown);
    CHECK(u.code == "TIMEOUT");
    CHECK(u.remediation.empty());
  }
}

TEST_CASE("Check::group")
{
  CHECK(Check{.id = "ollama.model-present", .title = "", .depends_on = {}}.group() == "ollama");
  CHECK(Check{.id = "a.b.c", .title = "", .depends_on = {}}.group() == "a");
  CHECK(Check{.id = "single", .title = "", .depends_on = {}}.group() == "single");
}
