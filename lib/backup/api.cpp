// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/api.hpp"

#include "lib/core/error.hpp"
#include "lib/sys/module.hpp"

namespace cell0ctl::backup {

const SnapshotApi& snapshot_api()
{
  static const SnapshotApi* api = [] {
    auto entry = reinterpret_cast<const SnapshotApi* (*)()>(
        load_module_symbol("cell0ctl-backup.so", "cell0ctl_snapshot_api"));
    const SnapshotApi* loaded = entry();
    if (loaded == nullptr || loaded->abi != k_snapshot_abi) {
      throw Error(Errc::unknown, "cell0ctl-backup.so is not of this cell0ctl",
                  "reinstall cell0ctl (meson install)");
    }
    return loaded;
  }();
  return *api;
}

} // namespace cell0ctl::backup
