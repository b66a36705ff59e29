// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/retention.hpp"

#include "lib/backup/repository.hpp"
#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <ctime>
#include <numeric>
#include <string_view>
#include <unordered_map>

namespace cell0ctl::backup {

namespace {

// A calendar bucket: snapshots whose local times format alike with `format` share it.
struct Rule
{
  std::string_view option; // "daily": also the first word of the reason
  int count = 0;
  const char* format = ""; // strftime(3)
};

void check_count(std::string_view option, int count)
{
  if (count < 0) {
    throw Error(Errc::usage,
                fmt::format("--keep-{} {}: expected a count of 0 or more", option, count),
                fmt::format("give a count such as --keep-{} 4, or leave the option out", option));
  }
}

// The bucket of `time_ns` in the local time zone.
std::string bucket(std::int64_t time_ns, const char* format)
{
  constexpr std::int64_t k_ns = 1'000'000'000;
  const auto seconds = static_cast<std::time_t>(time_ns / k_ns - (time_ns % k_ns < 0 ? 1 : 0));
  std::tm local{};
  localtime_r(&seconds, &local);
  std::array<char, 64> text{};
  const std::size_t size = std::strftime(text.data(), text.size(), format, &local);
  return {text.data(), size};
}

void keep(RetentionDecision& decision, std::string reason)
{
  decision.keep = true;
  decision.reasons.push_back(std::move(reason));
}

// Indexes of `snapshots`, newest first; of two taken at the same time, the later listed first.
std::vector<std::size_t> newest_first(const std::vector<SnapshotInfo>& snapshots)
{
  std::vector<std::size_t> order(snapshots.size());
  std::iota(order.rbegin(), order.rend(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return snapshots[a].time_ns > snapshots[b].time_ns;
  });
  return order;
}

void keep_last(const std::vector<std::size_t>& order,
               int count,
               std::vector<RetentionDecision>& decisions)
{
  const std::size_t kept = std::min(order.size(), static_cast<std::size_t>(count));
  for (std::size_t rank = 0; rank < kept; ++rank) {
    keep(decisions[order[rank]], fmt::format("last {}", rank + 1));
  }
}

// restic's walk: the newest snapshot of each bucket, until `rule.count` buckets are kept.
void keep_buckets(const std::vector<SnapshotInfo>& snapshots,
                  const std::vector<std::size_t>& order,
                  const Rule& rule,
                  std::vector<RetentionDecision>& decisions)
{
  int left = rule.count;
  std::string previous;
  for (auto it = order.begin(); left > 0 && it != order.end(); ++it) {
    std::string current = bucket(snapshots[*it].time_ns, rule.format);
    if (current != previous) {
      keep(decisions[*it], fmt::format("{} {}", rule.option, current));
      previous = std::move(current);
      --left;
    }
  }
}

using Index = std::unordered_map<std::string_view, std::size_t>; // id -> position

// Keeps the parents of kept snapshots, transitively.
void keep_parents(const std::vector<SnapshotInfo>& snapshots,
                  const Index& index,
                  std::vector<RetentionDecision>& decisions)
{
  std::vector<std::size_t> work;
  for (std::size_t i = 0; i < decisions.size(); ++i) {
    if (decisions[i].keep) {
      work.push_back(i);
    }
  }
  // Breadth first, so that a full's "needed by" reasons list its children in listing order.
  for (std::size_t next = 0; next < work.size(); ++next) {
    const SnapshotInfo& child = snapshots[work[next]];
    const auto parent = index.find(child.parent);
    if (child.parent.empty() || parent == index.end() || parent->second == work[next]) {
      continue;
    }
    RetentionDecision& decision = decisions[parent->second];
    if (!decision.keep) {
      work.push_back(parent->second);
    }
    keep(decision, fmt::format("needed by {} ({})", child.id, child.kind));
  }
}

// Keeps every snapshot whose parent is missing (see the header for why).
void keep_broken_chains(const std::vector<SnapshotInfo>& snapshots,
                        const Index& index,
                        std::vector<RetentionDecision>& decisions)
{
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    const SnapshotInfo& snapshot = snapshots[i];
    const bool needs_parent = snapshot.kind == "differential" || snapshot.kind == "incremental";
    if (snapshot.parent.empty() ? needs_parent : !index.contains(snapshot.parent)) {
      keep(decisions[i],
           fmt::format("parent {} missing: cannot restore",
                       snapshot.parent.empty() ? "(none recorded)" : snapshot.parent));
    }
  }
}

} // namespace

bool RetentionPolicy::empty() const
{
  return last == 0 && hourly == 0 && daily == 0 && weekly == 0 && monthly == 0 && yearly == 0;
}

std::vector<RetentionDecision> plan_retention(const std::vector<SnapshotInfo>& snapshots,
                                              const RetentionPolicy& policy)
{
  const std::array<Rule, 5> rules = {{
      {"hourly", policy.hourly, "%Y-%m-%d %H:00"},
      {"daily", policy.daily, "%Y-%m-%d"},
      {"weekly", policy.weekly, "%G-W%V"},
      {"monthly", policy.monthly, "%Y-%m"},
      {"yearly", policy.yearly, "%Y"},
  }};
  check_count("last", policy.last);
  for (const Rule& rule : rules) {
    check_count(rule.option, rule.count);
  }
  if (policy.empty()) {
    throw Error(Errc::usage,
                "no retention policy given: prune would delete every snapshot",
                "give at least one --keep-... option");
  }

  std::vector<RetentionDecision> decisions;
  decisions.reserve(snapshots.size());
  for (const SnapshotInfo& snapshot : snapshots) {
    decisions.push_back({snapshot.id, false, {}});
  }
  const std::vector<std::size_t> order = newest_first(snapshots);
  keep_last(order, policy.last, decisions);
  for (const Rule& rule : rules) {
    keep_buckets(snapshots, order, rule, decisions);
  }
  Index index;
  for (std::size_t i = 0; i < snapshots.size(); ++i) {
    index.emplace(snapshots[i].id, i);
  }
  keep_parents(snapshots, index, decisions);
  keep_broken_chains(snapshots, index, decisions);
  return decisions;
}

} // namespace cell0ctl::backup
