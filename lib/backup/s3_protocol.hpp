// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The parts of the S3 protocol that need no network: URLs in the form Signature Version 4 signs,
// and S3's error answers turned into Errors.

#include "lib/backup/s3_store.hpp"
#include "lib/core/error.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cell0ctl::backup::s3 {

using Query = std::vector<std::pair<std::string, std::string>>;

// AWS's UriEncode(): every byte but A-Z a-z 0-9 - . _ ~ as %XX in upper-case hex; '/' too
// unless `keep_slash` (object keys in paths keep theirs).
std::string uri_encode(std::string_view text, bool keep_slash);

// `query` in SigV4's canonical form: names and values uri_encode()d, sorted by name then value,
// "name=" for an empty value ("uploads=").
std::string canonical_query(Query query);

// The URL of object `key` (not encoded; empty for the bucket itself) with `query`, path-style or
// virtual-hosted as `options` say.
std::string request_url(const S3Options& options, std::string_view key, const Query& query);

struct Reply
{
  long status = 0;
  std::string body;
  std::string etag; // of a 2xx answer
};

// S3's error code in `reply` ("NoSuchKey"), or empty when its body has none.
std::string error_code(const Reply& reply);

// The Error for an answer that is not a success: `what`, then S3's code and message ("cannot
// read s3://b/p/x: NoSuchKey: The specified key does not exist."), and a hint for that code.
Error reply_error(const Reply& reply, const std::string& what);

} // namespace cell0ctl::backup::s3
