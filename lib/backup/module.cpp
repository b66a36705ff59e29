// SPDX-License-Identifier: GPL-3.0-or-later
// The one symbol of cell0ctl-backup.so (see api.hpp).
#include "lib/backup/api.hpp"
#include "lib/backup/s3_store.hpp"

namespace {

std::unique_ptr<cell0ctl::backup::Store> open_store(const std::string& url, const std::string& endpoint,
                                                    const std::string& region, const cell0ctl::Environ& environ)
{
  return std::make_unique<cell0ctl::backup::S3Store>(cell0ctl::backup::s3_options(url, endpoint, region, environ));
}

} // namespace

extern "C" const cell0ctl::backup::SnapshotApi* cell0ctl_snapshot_api()
{
  static const cell0ctl::backup::SnapshotApi api{
      cell0ctl::backup::k_snapshot_abi,
      cell0ctl::backup::create_snapshot,
      cell0ctl::backup::verify_snapshot,
      cell0ctl::backup::restore_snapshot,
      open_store,
  };
  return &api;
}
