// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/repository.hpp"
#include "lib/backup/retention.hpp"
#include "lib/core/error.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

using namespace cell0ctl;
using namespace cell0ctl::backup;

namespace {

// Sets TZ for the lifetime of the object, then puts the old value back.
class TimeZone
{
public:
  explicit TimeZone(const char* zone)
  {
    if (const char* old = std::getenv("TZ")) {
      m_old = old;
    }
    ::setenv("TZ", zone, 1);
    ::tzset();
  }
  ~TimeZone()
  {
    if (m_old) {
      ::setenv("TZ", m_old->c_str(), 1);
    } else {
      ::unsetenv("TZ");
    }
    ::tzset();
  }
  TimeZone(const TimeZone&) = delete;
  TimeZone& operator=(const TimeZone&) = delete;

private:
  std::optional<std::string> m_old;
};

// A snapshot taken at `utc` ("2026-11-24T10:00", UTC whatever TZ says).
SnapshotInfo snapshot(const std::string& id,
                      const char* utc,
                      const std::string& kind = "full",
                      const std::string& parent = "")
{
  std::tm tm{};
  REQUIRE(::strptime(utc, "%Y-%m-%dT%H:%M", &tm) != nullptr);
  SnapshotInfo info;
  info.id = id;
  info.time_ns = static_cast<std::int64_t>(::timegm(&tm)) * 1'000'000'000;
  info.kind = kind;
  info.parent = parent;
  return info;
}

// "id: reason; reason" for each kept snapshot, in input order: one string to compare.
std::vector<std::string> kept(const std::vector<RetentionDecision>& decisions)
{
  std::vector<std::string> out;
  for (const RetentionDecision& decision : decisions) {
    if (decision.keep) {
      std::string line = decision.id + ":";
      for (const std::string& reason : decision.reasons) {
        line += (line.back() == ':' ? " " : "; ") + reason;
      }
      out.push_back(line);
    }
  }
  return out;
}

using Lines = std::vector<std::string>;

} // namespace

TEST_CASE("plan_retention: buckets")
{
  const TimeZone utc("UTC");
  // Two a day for four days, oldest first as Repository::list() gives them.
  const std::vector<SnapshotInfo> snapshots = {
      snapshot("a1", "2026-11-21T06:00"),
      snapshot("a2", "2026-11-21T18:00"),
      snapshot("b1", "2026-11-22T06:00"),
      snapshot("b2", "2026-11-22T18:00"),
      snapshot("c1", "2026-11-23T06:00"),
      snapshot("c2", "2026-11-23T18:00"),
      snapshot("d1", "2026-11-24T06:00"),
      snapshot("d2", "2026-11-24T18:00"),
  };

  SUBCASE("one decision per snapshot, in input order")
  {
    const auto decisions = plan_retention(snapshots, {.daily = 1});
    REQUIRE(decisions.size() == snapshots.size());
    for (std::size_t i = 0; i < snapshots.size(); ++i) {
      CHECK(decisions[i].id == snapshots[i].id);
      CHECK(decisions[i].keep == !decisions[i].reasons.empty());
    }
  }

  SUBCASE("--keep-last N keeps the newest N, ranked from the newest")
  {
    CHECK(kept(plan_retention(snapshots, {.last = 3}))
          == Lines{"c2: last 3", "d1: last 2", "d2: last 1"});
  }

  SUBCASE("--keep-last with fewer snapshots than N keeps them all")
  {
    const std::vector<SnapshotInfo> two(snapshots.begin(), snapshots.begin() + 2);
    CHECK(kept(plan_retention(two, {.last = 5})) == Lines{"a1: last 2", "a2: last 1"});
  }

  SUBCASE("--keep-daily N keeps the newest snapshot of each of the newest N days")
  {
    CHECK(kept(plan_retention(snapshots, {.daily = 3}))
          == Lines{"b2: daily 2026-11-22", "c2: daily 2026-11-23", "d2: daily 2026-11-24"});
  }

  SUBCASE("options add up, and a snapshot kept twice says both reasons")
  {
    CHECK(kept(plan_retention(snapshots, {.last = 2, .daily = 2}))
          == Lines{"c2: daily 2026-11-23", "d1: last 2", "d2: last 1; daily 2026-11-24"});
  }

  SUBCASE("--keep-hourly counts hours that have a snapshot, not hours of the clock")
  {
    CHECK(kept(plan_retention(snapshots, {.hourly = 2}))
          == Lines{"d1: hourly 2026-11-24 06:00", "d2: hourly 2026-11-24 18:00"});
  }

  SUBCASE("--keep-monthly and --keep-yearly with fewer buckets than N keep one per bucket")
  {
    std::vector<SnapshotInfo> more = snapshots;
    more.insert(more.begin(), snapshot("old", "2025-06-30T23:00"));
    CHECK(kept(plan_retention(more, {.monthly = 12, .yearly = 10}))
          == Lines{"old: monthly 2025-06; yearly 2025", "d2: monthly 2026-11; yearly 2026"});
  }

  SUBCASE("input out of order is walked by time all the same")
  {
    const std::vector<SnapshotInfo> shuffled = {
        snapshots[7], snapshots[0], snapshots[5], snapshots[2]};
    CHECK(kept(plan_retention(shuffled, {.last = 1, .daily = 2}))
          == Lines{"d2: last 1; daily 2026-11-24", "c2: daily 2026-11-23"});
  }

  SUBCASE("no snapshots, nothing to decide")
  {
    CHECK(plan_retention({}, {.last = 1}).empty());
  }
}

TEST_CASE("plan_retention: ISO weeks across the turn of the year")
{
  const TimeZone utc("UTC");
  // 2026 starts on a Thursday, so its week 1 starts on Monday 2025-12-29 and it has 53 weeks.
  const std::vector<SnapshotInfo> snapshots = {
      snapshot("sun", "2025-12-28T12:00"),  // 2025-W52
      snapshot("mon", "2025-12-29T12:00"),  // 2026-W01, still in December
      snapshot("thu", "2026-12-31T12:00"),  // 2026-W53
      snapshot("sat", "2027-01-02T12:00"),  // 2026-W53, already in January
      snapshot("next", "2027-01-04T12:00"), // 2027-W01
  };

  SUBCASE("weeks are ISO 8601 weeks with their ISO year")
  {
    CHECK(kept(plan_retention(snapshots, {.weekly = 10}))
          == Lines{"sun: weekly 2025-W52",
                   "mon: weekly 2026-W01",
                   "sat: weekly 2026-W53",
                   "next: weekly 2027-W01"});
  }

  SUBCASE("a week that spans two years is one bucket; the years are two")
  {
    CHECK(kept(plan_retention(snapshots, {.weekly = 2, .yearly = 3}))
          == Lines{"mon: yearly 2025",
                   "thu: yearly 2026",
                   "sat: weekly 2026-W53",
                   "next: weekly 2027-W01; yearly 2027"});
  }
}

TEST_CASE("plan_retention: buckets are in the local time zone")
{
  // 03:00 UTC on the 25th is 22:00 on the 24th in New York (POSIX rules: no tzdata needed).
  const std::vector<SnapshotInfo> snapshots = {
      snapshot("mon", "2026-11-23T20:00"),
      snapshot("tue-afternoon", "2026-11-24T20:00"),
      snapshot("tue-night", "2026-11-25T03:00"),
  };

  SUBCASE("in UTC the last two are on two days")
  {
    const TimeZone utc("UTC");
    CHECK(kept(plan_retention(snapshots, {.daily = 2}))
          == Lines{"tue-afternoon: daily 2026-11-24", "tue-night: daily 2026-11-25"});
  }

  SUBCASE("in New York they are on one day, so the day before is kept")
  {
    const TimeZone new_york("EST5EDT,M3.2.0,M11.1.0");
    CHECK(kept(plan_retention(snapshots, {.daily = 2}))
          == Lines{"mon: daily 2026-11-23", "tue-night: daily 2026-11-24"});
  }

  SUBCASE("the hour repeated when summer time ends is one local hour")
  {
    const TimeZone new_york("EST5EDT,M3.2.0,M11.1.0");
    const std::vector<SnapshotInfo> fall_back = {
        snapshot("edt", "2026-11-01T05:30"), // 01:30 EDT
        snapshot("est", "2026-11-01T06:30"), // 01:30 EST
    };
    CHECK(kept(plan_retention(fall_back, {.hourly = 2})) == Lines{"est: hourly 2026-11-01 01:00"});
  }
}

TEST_CASE("plan_retention: chains")
{
  const TimeZone utc("UTC");

  SUBCASE("a kept differential keeps its full, even outside the policy")
  {
    const std::vector<SnapshotInfo> snapshots = {
        snapshot("f0", "2026-11-01T02:00"),
        snapshot("f1", "2026-11-20T02:00"),
        snapshot("d1", "2026-11-23T02:00", "differential", "f1"),
        snapshot("d2", "2026-11-24T02:00", "differential", "f1"),
    };
    CHECK(kept(plan_retention(snapshots, {.daily = 2}))
          == Lines{"f1: needed by d1 (differential); needed by d2 (differential)",
                   "d1: daily 2026-11-23",
                   "d2: daily 2026-11-24"});
  }

  SUBCASE("a kept incremental keeps its whole chain back to the full")
  {
    const std::vector<SnapshotInfo> snapshots = {
        snapshot("f0", "2026-11-19T02:00"),
        snapshot("f1", "2026-11-20T02:00"),
        snapshot("i1", "2026-11-21T02:00", "incremental", "f1"),
        snapshot("i2", "2026-11-22T02:00", "incremental", "i1"),
        snapshot("i3", "2026-11-23T02:00", "incremental", "i2"),
    };
    CHECK(kept(plan_retention(snapshots, {.last = 1}))
          == Lines{"f1: needed by i1 (incremental)",
                   "i1: needed by i2 (incremental)",
                   "i2: needed by i3 (incremental)",
                   "i3: last 1"});
  }

  SUBCASE("a snapshot nobody kept does not keep its parent")
  {
    const std::vector<SnapshotInfo> snapshots = {
        snapshot("f1", "2026-11-20T02:00"),
        snapshot("d1", "2026-11-21T02:00", "differential", "f1"),
        snapshot("f2", "2026-11-22T02:00"),
    };
    CHECK(kept(plan_retention(snapshots, {.last = 1})) == Lines{"f2: last 1"});
  }

  SUBCASE("a missing parent keeps the snapshot and says it cannot be restored")
  {
    const std::vector<SnapshotInfo> snapshots = {
        snapshot("i1", "2026-11-21T02:00", "incremental", "9f8e7d6c"),
        snapshot("i2", "2026-11-22T02:00", "incremental", "i1"),
        snapshot("d1", "2026-11-23T02:00", "differential"),
        snapshot("f1", "2026-11-24T02:00"),
    };
    CHECK(kept(plan_retention(snapshots, {.last = 1}))
          == Lines{"i1: parent 9f8e7d6c missing: cannot restore",
                   "d1: parent (none recorded) missing: cannot restore",
                   "f1: last 1"});
  }

  SUBCASE("a kept snapshot below a broken link keeps it with both reasons")
  {
    const std::vector<SnapshotInfo> snapshots = {
        snapshot("i1", "2026-11-21T02:00", "incremental", "9f8e7d6c"),
        snapshot("i2", "2026-11-22T02:00", "incremental", "i1"),
    };
    CHECK(kept(plan_retention(snapshots, {.last = 1}))
          == Lines{"i1: needed by i2 (incremental); parent 9f8e7d6c missing: cannot restore",
                   "i2: last 1"});
  }
}

TEST_CASE("plan_retention: a policy that keeps nothing is refused")
{
  const std::vector<SnapshotInfo> snapshots = {snapshot("f1", "2026-11-20T02:00")};

  SUBCASE("no --keep-... option is a usage error, never a delete-all")
  {
    CHECK(RetentionPolicy{}.empty());
    try {
      plan_retention(snapshots, {});
      FAIL("no Error was thrown");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::usage);
      CHECK(e.hint() == "give at least one --keep-... option");
    }
  }

  SUBCASE("a negative count is a usage error naming the option")
  {
    try {
      plan_retention(snapshots, {.last = 1, .weekly = -1});
      FAIL("no Error was thrown");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::usage);
      CHECK(std::string(e.what()) == "--keep-weekly -1: expected a count of 0 or more");
    }
  }
}
