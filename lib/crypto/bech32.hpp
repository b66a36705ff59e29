// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Bech32 (BIP 173) as age uses it for keys: the original checksum (not Bech32m), and no limit
// on the length of the data part.

#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::age {

struct Bech32
{
  std::string hrp;                 // the human-readable part, in the case it was written in
  std::vector<unsigned char> data; // the 8-bit bytes of the data part
};

// Returns `data` encoded under `hrp` ("age", "AGE-SECRET-KEY-"): all upper case when `hrp` is
// upper case, all lower case otherwise. The checksum is computed over the lower-case form.
std::string encode_bech32(std::string_view hrp, std::span<const unsigned char> data);

// Decodes `text`. Throws Error(Errc::usage) for mixed case, a missing separator, a character
// outside the Bech32 alphabet, a wrong checksum or bad padding bits; the message says which,
// and never quotes `text` (it may be a secret key). Scratch copies of `text` are wiped; the
// caller owns, and should wipe, the returned `data`.
Bech32 decode_bech32(std::string_view text);

} // namespace cell0ctl::age
