// SPDX-License-Identifier: GPL-3.0-or-later
// Loads the libcurl module on first use (see http_curl.cpp for why it is a module).
#include "lib/sys/http.hpp"

#include "lib/core/error.hpp"
#include "lib/util/strings.hpp"

#include "cell0ctl_version.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include <dlfcn.h>

namespace fs = std::filesystem;

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
  std::vector<fs::path> folders;
  if (const char* dir = std::getenv("CELL0CTL_MODULE_DIR"); dir != nullptr && *dir != '\0') {
    folders.emplace_back(dir);
  }
  std::error_code ec;
  if (const fs::path self = fs::read_symlink("/proc/self/exe", ec); !ec) {
    folders.push_back(self.parent_path());
    // A relocated installation: <prefix>/bin/cell0ctl and <prefix>/<libdir>/cell0ctl/.
    folders.push_back((self.parent_path().parent_path() / CELL0CTL_MODULE_RELDIR).lexically_normal());
  }
  folders.emplace_back(CELL0CTL_MODULE_DIR);
  std::vector<std::string> tried;
  for (const fs::path& folder : folders) {
    const fs::path path = folder / k_module;
    if (!fs::exists(path, ec)) {
      tried.push_back(path.string());
      continue;
    }
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      return {nullptr, fmt::format("cannot load {}: {}", path.string(), ::dlerror())};
    }
    auto abi = reinterpret_cast<int (*)()>(::dlsym(handle, "cell0ctl_http_abi"));
    auto init = reinterpret_cast<void (*)()>(::dlsym(handle, "cell0ctl_http_init"));
    auto perform = reinterpret_cast<void (*)(const HttpRequest*, HttpResponse*)>(
        ::dlsym(handle, "cell0ctl_http_perform"));
    if (abi == nullptr || init == nullptr || perform == nullptr || abi() != k_http_abi) {
      return {nullptr, fmt::format("{} is not the HTTP module of cell0ctl {}", path.string(),
                                   CELL0CTL_VERSION)};
    }
    init();
    return {perform, {}};
  }
  return {nullptr, fmt::format("{} not found (looked in {})", k_module, util::join(tried, ", "))};
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
