// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/validate/hints.hpp"

#include "lib/config/document.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cell0ctl::validate {

std::size_t edit_distance(std::string_view left, std::string_view right)
{
  const std::string a = util::to_lower(left);
  const std::string b = util::to_lower(right);
  // Optimal string alignment: three rows of the Damerau-Levenshtein table.
  std::vector<std::size_t> before(b.size() + 1);
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    previous[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] = std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    before.swap(previous);
    previous.swap(current);
  }
  return previous[b.size()];
}

std::optional<std::string> did_you_mean(std::string_view word,
                                        const std::vector<std::string>& candidates)
{
  const std::size_t limit = word.size() <= 4 ? 1 : word.size() <= 8 ? 2 : 3;
  std::optional<std::string> best;
  std::size_t best_distance = limit + 1;
  for (const std::string& candidate : candidates) {
    if (candidate == word) {
      continue;
    }
    const std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::string quoted_number_hint(const config::Node& value)
{
  if (!value.is_string() || !value.quoted()) {
    return {};
  }
  const std::string_view text = util::trim(value.as_string());
  if (text.empty() || text != value.as_string()
      || !config::resolve_plain_scalar(text).is_number()) {
    return {};
  }
  return fmt::format("this number is quoted: write {} without quotes", text);
}

} // namespace cell0ctl::validate
