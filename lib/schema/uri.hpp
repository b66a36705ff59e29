// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// URI references as JSON Schema uses them for `$id`, `$ref` and `$schema` (RFC 3986).

#include <string>
#include <string_view>
#include <utility>

namespace cell0ctl::schema {

// Resolves `reference` against the absolute URI `base` (RFC 3986 section 5.2, with dot
// segments removed). An absolute `reference` is returned normalised the same way.
std::string resolve_uri(std::string_view base, std::string_view reference);

// Splits `uri` at its first '#': the URI without fragment, and the fragment (without '#').
std::pair<std::string, std::string> split_fragment(std::string_view uri);

// Decodes %XX escapes in `text` (a URI fragment); invalid escapes are kept as written.
std::string percent_decode(std::string_view text);

// Percent-encodes what a URI fragment may not hold as is, for locations in messages.
std::string fragment_encode(std::string_view text);

} // namespace cell0ctl::schema
