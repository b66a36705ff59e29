// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The entry points of snapshot.hpp, reached through the module cell0ctl-backup.so, which links
// libarchive and libsodium: loading those costs more than `cell0ctl --version` takes in all,
// so only `backup` and `restore` load them.

#include "lib/backup/snapshot.hpp"

namespace cell0ctl::backup {

struct SnapshotApi
{
  int abi = 0;
  CreateResult (*create)(const CreateOptions&) = nullptr;
  VerifyResult (*verify)(const Repository&, const std::string&, const VerifyOptions&) = nullptr;
  RestoreResult (*restore)(const RestoreOptions&) = nullptr;
};

inline constexpr int k_snapshot_abi = 3;

// Loads the module on first use; throws Error(Errc::unknown) when it cannot.
const SnapshotApi& snapshot_api();

} // namespace cell0ctl::backup
