// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What a repository says about recovery: the newest restore point (RPO) and the last measured
// restore (RTO), for `backup status`, `backup verify --restore` and the metrics file.

#include "lib/backup/repository.hpp"
#include "lib/backup/snapshot.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cell0ctl::backup {

struct RestoreTest
{
  std::string id;
  std::int64_t time_ns = 0; // when it ran
  double seconds = 0;       // how long the restore took: the measured RTO
  bool ok = false;
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> problems;
};

struct RepositoryStatus
{
  std::size_t snapshots = 0;
  std::uint64_t stored_bytes = 0;
  std::optional<SnapshotInfo> newest;
  std::optional<SnapshotInfo> newest_full;
  std::optional<RestoreTest> restore_test;
};

RepositoryStatus repository_status(const Repository& repository);

// Restores snapshot `id` into a new folder below `scratch` (removed afterwards), then checks
// what came back beyond the manifest's hashes: PRAGMA integrity_check of every SQLite database
// and a parse of every line of every JSONL file. Records the result in the repository.
// Runs the restore through the backup module (snapshot_api()); `keys` gives its lock wait,
// identity files and cache folder. `fetch`, when given, first brings the archives of a mirror
// here and returns the seconds it took, which count in the measured restore time.
RestoreTest test_restore(const Repository& repository, const std::string& id,
                         const std::filesystem::path& scratch, const RestoreOptions& keys,
                         const std::function<double()>& fetch = {});

} // namespace cell0ctl::backup
