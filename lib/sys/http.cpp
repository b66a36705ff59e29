// SPDX-License-Identifier: GPL-3.0-or-later
// Loads the libcurl module on first use (see http_curl.cpp for why it is a module).
#include "lib/sys/http.hpp"

#include "lib/core/error.hpp"
#include "lib/sys/module.hpp"
#include "lib/util/strings.hpp"

#include "cell0ctl_version.hpp"

#include <fmt/format.h>

#include <mutex>

namespace cell0ctl {

namespace {

constexpr const char* k_module = "cell0ctl-http.so";

struct Module
{
  void (*perform)(const HttpRequest*, HttpResponse*) = nullptr;
  std::string error;
};

Module load_module()
{
  try {
    auto abi = reinterpret_cast<int (*)()>(load_module_symbol(k_module, "cell0ctl_http_abi"));
    auto init = reinterpret_cast<void (*)()>(load_module_symbol(k_module, "cell0ctl_http_init"));
    auto perform = reinterpret_cast<void (*)(const HttpRequest*, HttpResponse*)>(
        load_module_symbol(k_module, "cell0ctl_http_perform"));
    if (abi() != k_http_abi) {
      return {nullptr, fmt::format("{} is not the HTTP module of cell0ctl {}", k_module,
                                   CELL0CTL_VERSION)};
    }
    init();
    return {perform, {}};
  } catch (const Error& e) {
    return {nullptr, e.what()};
  }
}

const Module& module()
{
  static std::once_flag once;
  static Module loaded;
  std::call_once(once, [] { loaded = load_module(); });
  return loaded;
}

} // namespace

std::string describe(HttpError error)
{
  switch (error) {
  case HttpError::none:
    return "answered";
  case HttpError::refused:
    return "connection refused";
  case HttpError::timeout:
    return "timed out";
  case HttpError::resolve:
    return "host name not resolved";
  case HttpError::tls:
    return "TLS handshake or certificate verification failed";
  case HttpError::reset:
    return "connection closed without a complete answer";
  case HttpError::too_large:
    return "answer too large";
  case HttpError::other:
    return "request failed";
  }
  return "request failed";
}

void http_global_init()
{
  if (const Module& m = module(); m.perform == nullptr) {
    throw Error(Errc::unknown,
                fmt::format("the HTTP client is not available: {}", m.error),
                "reinstall cell0ctl (meson install), or set CELL0CTL_MODULE_DIR to the folder "
                "holding cell0ctl-http.so");
  }
}

HttpResponse http_request(const HttpRequest& request)
{
  HttpResponse response;
  const Module& m = module();
  if (m.perform == nullptr) {
    response.error = HttpError::other;
    response.error_text = m.error;
    return response;
  }
  m.perform(&request, &response);
  return response;
}

} // namespace cell0ctl
