// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/sys/module.hpp"

#include "lib/core/error.hpp"
#include "lib/util/strings.hpp"

#include "cell0ctl_version.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include <dlfcn.h>

namespace fs = std::filesystem;

namespace cell0ctl {

void* load_module_symbol(const std::string& name, const std::string& entry)
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
  const std::string hint = fmt::format("reinstall cell0ctl (meson install), or set CELL0CTL_MODULE_DIR "
                                       "to the folder holding {}",
                                       name);
  std::vector<std::string> tried;
  for (const fs::path& folder : folders) {
    const fs::path path = folder / name;
    if (!fs::exists(path, ec)) {
      tried.push_back(path.string());
      continue;
    }
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      throw Error(Errc::unknown, fmt::format("cannot load {}: {}", path.string(), ::dlerror()), hint);
    }
    void* symbol = ::dlsym(handle, entry.c_str());
    if (symbol == nullptr) {
      throw Error(Errc::unknown,
                  fmt::format("{} is not a module of cell0ctl {} (no {})", path.string(),
                              CELL0CTL_VERSION, entry),
                  hint);
    }
    return symbol;
  }
  throw Error(Errc::unknown,
              fmt::format("{} not found (looked in {})", name, util::join(tried, ", ")), hint);
}

} // namespace cell0ctl
