// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/check/runner.hpp"

#include "lib/check/context.hpp"
#include "lib/core/error.hpp"
#include "lib/util/units.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

namespace cell0ctl {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool matches(const Check& check, std::string_view name)
{
  return check.id == name || check.group() == name;
}

std::size_t edit_distance(std::string_view a, std::string_view b)
{
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    row[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

[[noreturn]] void unknown_name(std::span<const Check* const> all, const std::string& name)
{
  std::string_view closest;
  std::size_t best = name.size() / 2 + 2;
  for (const Check* check : all) {
    for (const std::string_view candidate : {check->id, check->group()}) {
      const std::size_t distance = edit_distance(name, candidate);
      if (distance < best) {
        best = distance;
        closest = candidate;
      }
    }
  }
  throw Error(Errc::usage,
              fmt::format("unknown check or group '{}'", name),
              closest.empty() ? "list the checks with --list"
                              : fmt::format("did you mean '{}'? (list them with --list)", closest));
}

// State shared by the run and its check threads; a thread abandoned at its deadline keeps it
// alive until it finishes.
struct RunState
{
  explicit RunState(std::shared_ptr<const Inputs> in) : inputs(std::move(in)), facts(*inputs) {}

  std::shared_ptr<const Inputs> inputs;
  Facts facts;
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<std::optional<Result>> results;
  std::vector<Clock::time_point> started;
  std::vector<Deadline> deadlines;
  std::vector<bool> running;
};

Finding run_one(const Check& check, Context& context)
{
  try {
    return check.run(context);
  } catch (const Error& e) {
    Finding finding = unknown(e.code() == Errc::config ? "CONFIG_ERROR" : "CHECK_ERROR", e.what());
    finding.remediation = e.hint();
    return finding;
  } catch (const std::exception& e) {
    return unknown("INTERNAL_ERROR", fmt::format("internal error: {}", e.what()));
  } catch (...) {
    return unknown("INTERNAL_ERROR", "internal error: an exception of unknown type");
  }
}

milliseconds since(Clock::time_point start)
{
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

} // namespace

Summary Report::summary() const
{
  Summary summary;
  for (const Result& result : results) {
    switch (result.finding.status) {
    case Status::ok:
      ++summary.ok;
      break;
    case Status::warn:
      ++summary.warn;
      break;
    case Status::fail:
      ++summary.fail;
      break;
    case Status::skip:
      ++summary.skip;
      break;
    case Status::unknown:
      ++summary.unknown;
      break;
    }
  }
  return summary;
}

Status Report::overall() const
{
  Status worst = Status::ok;
  for (const Result& result : results) {
    const Status status = result.finding.status == Status::skip ? Status::ok : result.finding.status;
    if (severity(status) > severity(worst)) {
      worst = status;
    }
  }
  return worst;
}

std::vector<const Check*> select_checks(std::span<const Check* const> all,
                                        const std::vector<std::string>& names,
                                        const std::vector<std::string>& skip,
                                        unsigned tag)
{
  for (const std::vector<std::string>* list : {&names, &skip}) {
    for (const std::string& name : *list) {
      if (std::none_of(all.begin(), all.end(), [&](const Check* c) { return matches(*c, name); })) {
        unknown_name(all, name);
      }
    }
  }
  std::set<std::string_view> wanted;
  for (const Check* check : all) {
    const bool chosen = names.empty()
                            ? (check->tags & tag) != 0
                            : std::any_of(names.begin(), names.end(), [&](const std::string& n) {
                                return matches(*check, n);
                              });
    if (chosen) {
      wanted.insert(check->id);
    }
  }
  // Dependencies come along, transitively, so that a check is never blocked by one not run.
  for (bool grew = true; grew;) {
    grew = false;
    for (const Check* check : all) {
      if (wanted.count(check->id) != 0) {
        for (const std::string_view dependency : check->depends_on) {
          grew = wanted.insert(dependency).second || grew;
        }
      }
    }
  }
  std::vector<const Check*> selected;
  for (const Check* check : all) {
    const bool skipped = std::any_of(skip.begin(), skip.end(), [&](const std::string& n) {
      return matches(*check, n);
    });
    if (wanted.count(check->id) != 0 && !skipped) {
      selected.push_back(check);
    }
  }
  return selected;
}

Report run_checks(const std::vector<const Check*>& checks,
                  std::shared_ptr<const Inputs> inputs,
                  const RunOptions& options)
{
  const auto start = Clock::now();
  const std::size_t count = checks.size();
  auto state = std::make_shared<RunState>(std::move(inputs));
  state->results.resize(count);
  state->started.resize(count);
  state->deadlines.resize(count);
  state->running.resize(count, false);
  // Without --timeout the run has no deadline of its own: each check's is enough.
  const Deadline run_deadline{start + options.timeout.value_or(std::chrono::hours(24))};

  std::map<std::string_view, std::size_t> index;
  for (std::size_t i = 0; i < count; ++i) {
    index.emplace(checks[i]->id, i);
  }

  std::unique_lock lock(state->mutex);
  std::vector<bool> launched(count, false);
  std::size_t abandoned = 0;
  while (true) {
    // Start every check whose dependencies have all finished.
    bool all_done = true;
    for (std::size_t i = 0; i < count; ++i) {
      if (launched[i]) {
        all_done = all_done && state->results[i].has_value();
        continue;
      }
      all_done = false;
      const Check& check = *checks[i];
      std::vector<std::string> blockers;
      bool ready = true;
      for (const std::string_view dependency : check.depends_on) {
        const auto it = index.find(dependency);
        if (it == index.end()) {
          continue; // skipped with --skip: not a gate
        }
        const auto& dep = state->results[it->second];
        if (!dep) {
          ready = false;
          break;
        }
        // A dependency that failed blocks this check; one that was itself blocked passes its
        // root causes on, so that the output names one cause, not a cascade.
        const Status status = dep->finding.status;
        if ((status == Status::fail || status == Status::unknown)
            && std::find(blockers.begin(), blockers.end(), dependency) == blockers.end()) {
          blockers.emplace_back(dependency);
        } else {
          for (const std::string& root : dep->blocked_by) {
            if (std::find(blockers.begin(), blockers.end(), root) == blockers.end()) {
              blockers.push_back(root);
            }
          }
        }
      }
      if (!ready) {
        continue;
      }
      launched[i] = true;
      if (!blockers.empty()) {
        Result result;
        result.check = &check;
        const auto& first = state->results[index.at(blockers.front())]->finding;
        result.finding = skip(fmt::format("blocked by {} ({})", blockers.front(), to_string(first.status)));
        result.blocked_by = std::move(blockers);
        state->results[i] = std::move(result);
        continue;
      }
      const Deadline deadline =
          Deadline{Clock::now() + options.timeout.value_or(check.timeout)}.earliest(run_deadline);
      state->started[i] = Clock::now();
      state->deadlines[i] = deadline;
      state->running[i] = true;
      std::thread([state, i, &check, deadline] {
        Context context(*state->inputs, state->facts, check, deadline);
        Finding finding = run_one(check, context);
        std::lock_guard guard(state->mutex);
        state->running[i] = false;
        if (!state->results[i]) {
          state->results[i] = Result{&check, std::move(finding), since(state->started[i]), {}};
        }
        state->changed.notify_all();
      }).detach();
    }
    if (all_done) {
      break;
    }
    // Wait for a check to finish, or for the nearest deadline of one still running.
    std::optional<Clock::time_point> nearest;
    for (std::size_t i = 0; i < count; ++i) {
      if (launched[i] && !state->results[i]) {
        nearest = nearest ? std::min(*nearest, state->deadlines[i].at) : state->deadlines[i].at;
      }
    }
    if (nearest) {
      state->changed.wait_until(lock, *nearest);
    }
    const auto now = Clock::now();
    for (std::size_t i = 0; i < count; ++i) {
      if (launched[i] && !state->results[i] && now >= state->deadlines[i].at) {
        const milliseconds took = since(state->started[i]);
        Finding finding = unknown("TIMEOUT",
                                  fmt::format("timed out after {}", util::format_duration(took)));
        finding.remediation = "raise the limit with --timeout, or see why it hangs with -v";
        state->results[i] = Result{checks[i], std::move(finding), took, {}};
      }
    }
  }
  for (std::size_t i = 0; i < count; ++i) {
    abandoned += state->running[i] ? 1 : 0;
  }
  Report report;
  for (auto& result : state->results) {
    report.results.push_back(std::move(*result));
  }
  report.duration = since(start);
  report.abandoned = abandoned;
  return report;
}

} // namespace cell0ctl
