// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

namespace cell0ctl {

// How a secret (API key, token, password, phone number) appears in any output: `***` and a
// short fingerprint (the first 6 hex digits of its SHA-256), so that two outputs can be
// compared without showing it; the value itself only when `show` (--show-secrets) is set.
std::string redact(std::string_view secret, bool show);

} // namespace cell0ctl
