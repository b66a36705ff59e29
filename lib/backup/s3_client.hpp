// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The HTTP side of S3Store: requests that libcurl signs (CURLOPT_AWS_SIGV4), sent with retries.
//
// libcurl 7.88 (Debian 12) signs the path and the query string exactly as the URL carries them,
// and hashes no body it does not hold itself: so the URL must already be canonical (see
// request_url()) and every request carries its own x-amz-content-sha256 header, which libcurl
// then signs as the payload hash.

#include "lib/backup/s3_protocol.hpp"
#include "lib/backup/s3_store.hpp"

#include <curl/curl.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::backup::s3 {

// One request. The body is `data`, or `length` bytes of `file` from `offset` (read as it is
// sent, never whole in memory); only PUT and POST send one.
struct Call
{
  std::string method = "GET";
  std::string url;                  // from request_url()
  std::vector<std::string> headers; // more headers to send and sign: "Name: value"
  std::string_view data;
  std::filesystem::path file;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  // Receives the body of a 2xx answer as it arrives, when set; other bodies go to Reply::body.
  std::function<void(std::string_view)> sink;
};

// Sends signed requests on one connection kept open between them. Not thread-safe.
class Client
{
public:
  // Keeps a reference to `options`, which must outlive the Client.
  explicit Client(const S3Options& options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Sends `call` and returns the answer, whatever its status. Retries, up to options.attempts
  // in all and with a growing delay, a network error, a 5xx, a 429 or a RequestTimeout; a body
  // that broke off after bytes went to the sink is resumed where it stopped (Range, If-Match).
  // Throws Error(Errc::failed) starting with `what` ("cannot read s3://b/p/x") when no answer
  // came or the body file cannot be read, and rethrows what the sink throws.
  Reply send(const Call& call, const std::string& what);

private:
  const S3Options& m_options;
  CURL* m_curl = nullptr;
};

} // namespace cell0ctl::backup::s3
