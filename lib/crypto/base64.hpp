// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Base64 as the age format writes it: the standard alphabet of RFC 4648 §4, without `=`
// padding, and only the canonical encoding of each value (RFC 4648 §3.5).

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::age {

// Returns `data` in unpadded standard base64, on one line.
std::string encode_base64(std::span<const unsigned char> data);

// Returns the bytes `text` encodes, or std::nullopt when `text` is not canonical unpadded
// base64: a character outside the alphabet (padding, whitespace and line ends included), a
// length no encoding has (4n+1), or unused trailing bits that are not zero.
std::optional<std::vector<unsigned char>> decode_base64(std::string_view text);

} // namespace cell0ctl::age
