// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lib/check/check.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace cell0ctl {

struct Inputs;

// The outcome of one check in a run.
struct Result
{
  const Check* check = nullptr;
  Finding finding;
  std::chrono::milliseconds duration{0};
  std::vector<std::string> blocked_by; // dependencies that failed, so this one did not run
};

struct Summary
{
  int ok = 0;
  int warn = 0;
  int fail = 0;
  int skip = 0;
  int unknown = 0;
};

struct Report
{
  std::vector<Result> results; // in the order of the checks given to run_checks()
  std::chrono::milliseconds duration{0};
  std::size_t abandoned = 0; // checks still running past their deadline when the run ended

  Summary summary() const;

  // The worst status of all results (ok when there are none); skip counts as ok.
  Status overall() const;
};

struct RunOptions
{
  // When set: every check's deadline, and the deadline of the whole run. When not: each
  // check's own timeout.
  std::optional<std::chrono::milliseconds> timeout;
};

// Chooses from `all` the checks that carry `tag`, or those named by `names` (ids or group
// names such as "ollama"), plus what they depend on, minus `skip` (ids or groups), in the
// order of `all`. Throws Error(Errc::usage) for a name that matches nothing, with the closest
// id as a hint.
std::vector<const Check*> select_checks(std::span<const Check* const> all,
                                        const std::vector<std::string>& names,
                                        const std::vector<std::string>& skip,
                                        unsigned tag);

// Runs `checks` in parallel, each in its own thread once its dependencies have finished; a
// check whose dependency ended fail or unknown is reported skip and blocked_by it. A check
// past its deadline is reported unknown with the time it took, and the run goes on without
// it: run_checks() itself returns by the run's deadline. `inputs` is shared with threads that
// may outlive the call (see Report::abandoned).
Report run_checks(const std::vector<const Check*>& checks,
                  std::shared_ptr<const Inputs> inputs,
                  const RunOptions& options);

} // namespace cell0ctl
