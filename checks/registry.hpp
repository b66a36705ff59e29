// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lib/check/check.hpp"

#include <span>
#include <string_view>

namespace cell0ctl::checks {

// Every check cell0ctl has, sorted by id: the one list (see checks/registry.cpp).
std::span<const Check* const> all_checks();

// The check with `id`, or nullptr.
const Check* find_check(std::string_view id);

} // namespace cell0ctl::checks
