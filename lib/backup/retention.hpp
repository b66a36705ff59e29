// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Which snapshots `backup prune` keeps: grandfather-father-son retention as restic's `forget`
// decides it, plus the snapshots that kept ones need to be restored.

#include <string>
#include <vector>

namespace cell0ctl::backup {

struct SnapshotInfo;

// How many snapshots of each kind to keep (the --keep-... options); 0 keeps none of that kind.
struct RetentionPolicy
{
  int last = 0;    // the newest N snapshots
  int hourly = 0;  // the newest snapshot of each of the newest N hours that have one
  int daily = 0;   // ... days
  int weekly = 0;  // ... ISO 8601 weeks (Monday to Sunday; week 1 holds the year's 4 January)
  int monthly = 0; // ... months
  int yearly = 0;  // ... years

  // Whether no --keep-... option was given.
  bool empty() const;
};

struct RetentionDecision
{
  std::string id;
  bool keep = false;
  // Why it is kept, in this order: the policy's buckets ("last 1" is the newest snapshot,
  // "hourly 2026-11-24 13:00", "daily 2026-11-24", "weekly 2026-W47", "monthly 2026-11",
  // "yearly 2026"), then the kept snapshots that restore from it ("needed by 1a2b3c4d
  // (differential)"), then a broken chain ("parent 9f8e7d6c missing: cannot restore").
  // Empty when it is not kept.
  std::vector<std::string> reasons;
};

// Decides, for each of `snapshots` (as Repository::list() returns them, oldest first), whether
// `policy` keeps it. Pure: reads nothing but its arguments and the local time zone (TZ).
//
// For each --keep-X N, snapshots are walked newest first and the newest snapshot of each
// distinct X bucket is kept until N buckets are (restic's semantics; a snapshot may be kept for
// several reasons). Hours, days, weeks, months and years are those of the local time zone, as
// the operator who wrote the timer reads them.
//
// Then the dependency closure: a kept snapshot keeps its `parent`, transitively (a
// differential its full; an incremental the whole chain back to its full), since it cannot be
// restored without it.
//
// A snapshot whose `parent` is not in `snapshots` (or a differential or incremental that names
// none) is always kept, with the reason "parent <id> missing: cannot restore". It cannot be
// restored as it is, but prune is the wrong tool to decide it is worthless: the parent may be
// missing only from this listing (an unreadable manifest, an operator's move), and its archive
// still holds the files it changed. Keeping it leaves the decision, and the evidence, to an
// operator. The snapshots that depend on it follow the rules above.
//
// Returns one decision per snapshot, in the order of `snapshots`. Throws Error(Errc::usage)
// when `policy` is empty (prune never deletes every snapshot) or a count is negative.
std::vector<RetentionDecision> plan_retention(const std::vector<SnapshotInfo>& snapshots,
                                              const RetentionPolicy& policy);

} // namespace cell0ctl::backup
