// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The format-specific halves of config::parse(). Internal to lib/config.

#include "lib/config/document.hpp"

#include <string_view>

namespace cell0ctl::config {

// Each parses `text` (without a byte order mark) into `out.documents` and `out.errors`;
// positions are counted in `text`.
void parse_yaml(std::string_view text, Document& out);
void parse_json(std::string_view text, Document& out);
void parse_env(std::string_view text, Document& out);

} // namespace cell0ctl::config
