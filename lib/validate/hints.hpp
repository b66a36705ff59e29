// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Hints that turn a schema error into a fix: did-you-mean for unknown keys, quoted numbers.

#include "lib/config/node.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::validate {

// The edit distance of `left` and `right` (insertions, deletions, substitutions and swaps of
// two neighbours each count 1: "prot" is 1 from "port"), compared without ASCII case.
std::size_t edit_distance(std::string_view left, std::string_view right);

// The candidate closest to `word` when it is close enough to be a likely typo (distance 1 up
// to 4 characters, 2 up to 8, else 3; never the word itself); the first of equals.
std::optional<std::string> did_you_mean(std::string_view word,
                                        const std::vector<std::string>& candidates);

// The hint for a string where a schema wants a number or integer, when the string holds a
// number written in quotes: "this number is quoted: write 8080 without quotes". Empty otherwise.
std::string quoted_number_hint(const config::Node& value);

} // namespace cell0ctl::validate
