// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/check/context.hpp"
#include "lib/check/runner.hpp"
#include "lib/core/error.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

using namespace cell0ctl;
using namespace std::chrono_literals;
using Strings = std::vector<std::string>;

namespace {

std::atomic<int> g_blocked_runs{0};

Finding counted_ok(Context&)
{
  ++g_blocked_runs;
  return ok("ran");
}

// Sleeps past any deadline of these tests, then returns without touching anything of the run.
Finding sleep_2s(Context&)
{
  std::this_thread::sleep_for(2s);
  return ok("too late");
}

// Checks live as long as the program: a check abandoned at its deadline still points to its own.
const Check k_slow_ok{
    .id = "t.slow", .title = "sleeps a little", .depends_on = {}, .run = [](Context&) {
      std::this_thread::sleep_for(150ms);
      return ok("slow");
    }};
const Check k_warn{.id = "t.warn", .title = "warns", .depends_on = {}, .run = [](Context&) {
                     return warn("W", "warned", "fix w");
                   }};
const Check k_fail{.id = "t.fail", .title = "fails", .depends_on = {}, .run = [](Context&) {
                     return fail("F", "failed", "fix f");
                   }};
const Check k_skip{.id = "t.skip", .title = "skips", .depends_on = {}, .run = [](Context&) {
                     return skip("not here");
                   }};
const Check k_after_fail{
    .id = "t.after-fail", .title = "after t.fail", .depends_on = {"t.fail"}, .run = counted_ok};
const Check k_after_blocked{.id = "t.after-blocked",
                            .title = "after t.after-fail and t.skip",
                            .depends_on = {"t.after-fail", "t.skip"},
                            .run = counted_ok};
const Check k_after_skip{.id = "t.after-skip",
                         .title = "after t.skip",
                         .depends_on = {"t.skip"},
                         .run = [](Context&) { return ok("ran after skip"); }};
const Check k_sleeper{.id = "t.sleeper", .title = "hangs", .depends_on = {}, .run = sleep_2s};
const Check k_short_timeout{.id = "t.short",
                            .title = "hangs past its own timeout",
                            .depends_on = {},
                            .timeout = 100ms,
                            .run = sleep_2s};
const Check k_throws{.id = "t.throws",
                     .title = "throws",
                     .depends_on = {},
                     .run = [](Context&) -> Finding { throw std::runtime_error("boom"); }};
const Check k_config_error{
    .id = "t.config", .title = "throws an Error", .depends_on = {}, .run = [](Context&) -> Finding {
      throw Error(Errc::config, "/c.yaml:1:1: bad", "fix the file");
    }};
const Check k_after_unknown{.id = "t.after-unknown",
                            .title = "after t.throws",
                            .depends_on = {"t.throws"},
                            .run = [](Context&) { return ok("ran"); }};

Report run(const std::vector<const Check*>& checks, RunOptions options = {})
{
  return run_checks(checks, std::make_shared<Inputs>(), options);
}

} // namespace

TEST_CASE("run_checks")
{
  SUBCASE("results come back in the order the checks were given, whatever finishes first")
  {
    const Report report = run({&k_slow_ok, &k_warn, &k_fail});
    REQUIRE(report.results.size() == 3);
    CHECK(report.results[0].check == &k_slow_ok);
    CHECK(report.results[0].finding.summary == "slow");
    CHECK(report.results[1].check == &k_warn);
    CHECK(report.results[1].finding.status == Status::warn);
    CHECK(report.results[2].check == &k_fail);
    CHECK(report.results[2].finding.remediation == "fix f");
    CHECK(report.abandoned == 0);
  }

  SUBCASE("a check whose dependency fails is skipped, blocked by it, and not run")
  {
    g_blocked_runs = 0;
    const Report report = run({&k_fail, &k_after_fail});
    const Result& blocked = report.results[1];
    CHECK(blocked.finding.status == Status::skip);
    CHECK(blocked.blocked_by == Strings{"t.fail"});
    CHECK(blocked.finding.summary == "blocked by t.fail (fail)");
    CHECK(g_blocked_runs == 0);
  }

  SUBCASE("a check behind a blocked check names the root cause, not the one in between")
  {
    g_blocked_runs = 0;
    const Report report = run({&k_after_blocked, &k_after_fail, &k_skip, &k_fail});
    CHECK(report.results[0].finding.status == Status::skip);
    CHECK(report.results[0].blocked_by == Strings{"t.fail"});
    CHECK(report.results[1].blocked_by == Strings{"t.fail"});
    CHECK(g_blocked_runs == 0);
  }

  SUBCASE("a dependency that ends skip does not block")
  {
    const Report report = run({&k_skip, &k_after_skip});
    CHECK(report.results[1].finding.status == Status::ok);
    CHECK(report.results[1].finding.summary == "ran after skip");
    CHECK(report.results[1].blocked_by.empty());
  }

  SUBCASE("a dependency not in the run is no gate")
  {
    const Report report = run({&k_after_fail});
    CHECK(report.results[0].finding.status == Status::ok);
  }

  SUBCASE("a check past --timeout is unknown TIMEOUT, and counted as abandoned")
  {
    const Report report = run({&k_sleeper, &k_warn}, RunOptions{.timeout = 500ms});
    const Finding& timed_out = report.results[0].finding;
    CHECK(timed_out.status == Status::unknown);
    CHECK(timed_out.code == "TIMEOUT");
    CHECK(timed_out.summary.rfind("timed out after ", 0) == 0);
    CHECK(report.results[1].finding.status == Status::warn);
    CHECK(report.abandoned == 1);
  }

  SUBCASE("without --timeout a check's own timeout applies")
  {
    const Report report = run({&k_short_timeout});
    CHECK(report.results[0].finding.code == "TIMEOUT");
    CHECK(report.abandoned == 1);
  }

  SUBCASE("an exception thrown by a check is unknown; the others still run")
  {
    const Report report = run({&k_throws, &k_config_error, &k_warn, &k_after_unknown});
    CHECK(report.results[0].finding.status == Status::unknown);
    CHECK(report.results[0].finding.code == "INTERNAL_ERROR");
    CHECK(report.results[0].finding.summary == "internal error: boom");
    CHECK(report.results[1].finding.status == Status::unknown);
    CHECK(report.results[1].finding.code == "CONFIG_ERROR");
    CHECK(report.results[1].finding.remediation == "fix the file");
    CHECK(report.results[2].finding.status == Status::warn);
    CHECK(report.results[3].blocked_by == Strings{"t.throws"});
  }

  SUBCASE("no checks is an empty report")
  {
    const Report report = run({});
    CHECK(report.results.empty());
    CHECK(report.overall() == Status::ok);
  }
}

TEST_CASE("select_checks")
{
  static const Check net{.id = "net.port", .title = "n", .tags = tag_doctor, .depends_on = {}};
  static const Check up{
      .id = "ollama.up", .title = "u", .tags = tag_doctor | tag_health, .depends_on = {"net.port"}};
  static const Check model{
      .id = "ollama.model", .title = "m", .tags = tag_health, .depends_on = {"ollama.up"}};
  static const Check disk{.id = "disk.free", .title = "d", .tags = tag_doctor, .depends_on = {}};
  const std::vector<const Check*> all{&net, &up, &model, &disk};
  const auto ids = [](const std::vector<const Check*>& checks) {
    Strings out;
    for (const Check* check : checks) {
      out.emplace_back(check->id);
    }
    return out;
  };

  SUBCASE("without names, the checks of the tag and their dependencies, in the given order")
  {
    CHECK(ids(select_checks(all, {}, {}, tag_doctor))
          == Strings{"net.port", "ollama.up", "disk.free"});
    CHECK(ids(select_checks(all, {}, {}, tag_health))
          == Strings{"net.port", "ollama.up", "ollama.model"});
  }

  SUBCASE("a name selects a check by id, whatever its tags")
  {
    CHECK(ids(select_checks(all, {"disk.free"}, {}, tag_health)) == Strings{"disk.free"});
  }

  SUBCASE("a group name selects the group; dependencies come along, transitively")
  {
    CHECK(ids(select_checks(all, {"ollama"}, {}, tag_doctor))
          == Strings{"net.port", "ollama.up", "ollama.model"});
    CHECK(ids(select_checks(all, {"ollama.model"}, {}, tag_doctor))
          == Strings{"net.port", "ollama.up", "ollama.model"});
  }

  SUBCASE("--skip removes checks by id or group, dependencies included")
  {
    CHECK(ids(select_checks(all, {}, {"net"}, tag_doctor)) == Strings{"ollama.up", "disk.free"});
    CHECK(ids(select_checks(all, {"ollama"}, {"ollama.model"}, tag_doctor))
          == Strings{"net.port", "ollama.up"});
  }

  SUBCASE("an unknown name is a usage Error whose hint names the closest id")
  {
    for (const auto& [names, skipped] :
         {std::pair{Strings{"olama.up"}, Strings{}}, std::pair{Strings{}, Strings{"olama.up"}}}) {
      try {
        (void)select_checks(all, names, skipped, tag_doctor);
        FAIL("no Error thrown");
      } catch (const Error& e) {
        CHECK(e.code() == Errc::usage);
        CHECK(std::string(e.what()) == "unknown check or group 'olama.up'");
        CHECK(e.hint() == "did you mean 'ollama.up'? (list them with --list)");
      }
    }
  }

  SUBCASE("a name close to nothing gets a hint to list the checks")
  {
    try {
      (void)select_checks(all, {"zzzzzzzzzzzz"}, {}, tag_doctor);
      FAIL("no Error thrown");
    } catch (const Error& e) {
      CHECK(e.hint() == "list the checks with --list");
    }
  }
}

TEST_CASE("Report")
{
  static const Check c{.id = "t.c", .title = "c", .depends_on = {}};
  const auto report_of = [](std::vector<Status> statuses) {
    Report report;
    for (const Status status : statuses) {
      Finding finding;
      finding.status = status;
      report.results.push_back(Result{&c, finding, 0ms, {}});
    }
    return report;
  };

  SUBCASE("summary counts each status")
  {
    const Summary s = report_of({Status::ok,
                                 Status::ok,
                                 Status::warn,
                                 Status::fail,
                                 Status::skip,
                                 Status::unknown,
                                 Status::unknown})
                          .summary();
    CHECK(s.ok == 2);
    CHECK(s.warn == 1);
    CHECK(s.fail == 1);
    CHECK(s.skip == 1);
    CHECK(s.unknown == 2);
  }

  SUBCASE("overall is the worst status, fail over unknown over warn, skip counting as ok")
  {
    CHECK(report_of({}).overall() == Status::ok);
    CHECK(report_of({Status::skip, Status::skip}).overall() == Status::ok);
    CHECK(report_of({Status::ok, Status::warn, Status::skip}).overall() == Status::warn);
    CHECK(report_of({Status::warn, Status::unknown, Status::ok}).overall() == Status::unknown);
    CHECK(report_of({Status::unknown, Status::fail, Status::warn}).overall() == Status::fail);
  }
}
