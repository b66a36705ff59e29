// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The entry points of snapshot.hpp, reached through the module cell0ctl-backup.so, which links
// libarchive and libsodium: loading those costs more than `cell0ctl --version` takes in all,
// so only `backup` and `restore` load them.

#include "lib/backup/snapshot.hpp"
#include "lib/backup/store.hpp"

#include <memory>

namespace cell0ctl {
class Environ;
}

namespace cell0ctl::backup {

struct SnapshotApi
{
  int abi = 0;
  CreateResult (*create)(const CreateOptions&) = nullptr;
  VerifyResult (*verify)(const Repository&, const std::string&, const VerifyOptions&) = nullptr;
  RestoreResult (*restore)(const RestoreOptions&) = nullptr;
  // The store of a repository URL ("s3://BUCKET/PREFIX"; s3_store.hpp's s3_options() says how
  // `endpoint`, `region` and the environment are used). Sends no request.
  std::unique_ptr<Store> (*open_store)(const std::string& url, const std::string& endpoint,
                                       const std::string& region, const Environ& environ) = nullptr;
};

inline constexpr int k_snapshot_abi = 4;

// Loads the module on first use; throws Error(Errc::unknown) when it cannot.
const SnapshotApi& snapshot_api();

} // namespace cell0ctl::backup
