// SPDX-License-Identifier: GPL-3.0-or-later
// The one symbol of cell0ctl-backup.so (see api.hpp).
#include "lib/backup/api.hpp"

extern "C" const cell0ctl::backup::SnapshotApi* cell0ctl_snapshot_api()
{
  static const cell0ctl::backup::SnapshotApi api{
      cell0ctl::backup::k_snapshot_abi,
      cell0ctl::backup::create_snapshot,
      cell0ctl::backup::verify_snapshot,
      cell0ctl::backup::restore_snapshot,
  };
  return &api;
}
