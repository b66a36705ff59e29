// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <algorithm>
#include <chrono>

namespace cell0ctl {

// A point in time by which work must be finished; every blocking call takes one.
struct Deadline
{
  std::chrono::steady_clock::time_point at;

  static Deadline after(std::chrono::milliseconds duration)
  {
    return {std::chrono::steady_clock::now() + duration};
  }

  // Time left, never negative.
  std::chrono::milliseconds remaining() const
  {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        at - std::chrono::steady_clock::now());
    return std::max(left, std::chrono::milliseconds(0));
  }

  bool passed() const { return std::chrono::steady_clock::now() >= at; }

  Deadline earliest(Deadline other) const { return {std::min(at, other.at)}; }
};

} // namespace cell0ctl
