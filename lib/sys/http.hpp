// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lib/sys/deadline.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace cell0ctl {

struct HttpRequest
{
  std::string url;
  std::string method = "GET";
  std::vector<std::string> headers; // "Name: value"
  std::string body;
  std::chrono::milliseconds connect_timeout{1000};
  Deadline deadline = Deadline::after(std::chrono::seconds(5)); // total time, connect included
  std::string ca_file;               // extra CA bundle (--cacert); TLS is always verified
  std::size_t max_body = 8u << 20u;  // larger bodies are cut and flagged
};

// Why a request produced no HTTP response.
enum class HttpError { none, refused, timeout, resolve, tls, reset, too_large, other };

struct HttpResponse
{
  HttpError error = HttpError::none;
  std::string error_text; // libcurl's message when `error` is set
  long status = 0;
  std::string content_type;
  std::string body;
  double elapsed_ms = 0;

  bool answered() const { return error == HttpError::none; }
};

// "connection refused", "timed out", ...: a short phrase for people.
std::string describe(HttpError error);

// Performs `request` with libcurl: connect and total timeouts, TLS verification on, the proxy
// environment (http_proxy, https_proxy, no_proxy) honoured, no signals. Never throws for
// network errors; they come back in `error`. http_global_init() must have run.
HttpResponse http_request(const HttpRequest& request);

// Loads the HTTP module (cell0ctl-http.so, which links libcurl) and sets libcurl up, once
// however often it is called; call it before the first thread that makes requests starts.
// The module is looked for in $CELL0CTL_MODULE_DIR, beside the executable, in
// <executable>/../<libdir>/cell0ctl, then in the configured <prefix>/<libdir>/cell0ctl. Throws Error(Errc::unknown) when it cannot be loaded.
void http_global_init();

// The version of the interface between cell0ctl and its HTTP module; a module of another
// version is refused.
inline constexpr int k_http_abi = 1;

} // namespace cell0ctl
