// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

namespace cell0ctl::util {

// Returns the SHA-256 digest of `data` as 64 lower-case hex digits (OpenSSL EVP).
std::string sha256_hex(std::string_view data);

} // namespace cell0ctl::util
