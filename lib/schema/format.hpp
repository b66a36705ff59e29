// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// `format` assertions (used only when formats are asserted). Internal to lib/schema.

#include "lib/config/node.hpp"

#include <string_view>

namespace cell0ctl::schema {

// Whether `value` conforms to `format`. True for formats not known here and for values
// that are not strings, as the specification asks.
bool check_format(std::string_view format, const config::Node& value);

} // namespace cell0ctl::schema
