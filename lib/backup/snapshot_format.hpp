// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The manifest as snapshot_create.cpp writes it and snapshot_verify.cpp and
// snapshot_restore.cpp read it (internal to lib/backup).
//
// A manifest lists every file of the snapshot with the SHA-256, size, mode, owner and mtime of
// its content as of the snapshot, and says where that content lives ("stored"):
//   "whole"      in this snapshot's archive, under its own path;
//   "unchanged"  as in the parent snapshot ("in": the snapshot whose archive holds it);
//   "tail"       the parent's version (the first "tail_from" bytes), then the archive entry
//                "delta" appended;
//   "blocks"     the parent's version resized to "size", with the 4 KiB blocks "runs"
//                ([first, count] pairs) replaced by the archive entry "delta".
// Manifests of version 1 have no "stored": every file is "whole". A full snapshot stores
// every file whole; a differential is relative to a full, an incremental to any snapshot, so
// that restoring one means restoring its parent chain in order and applying each step.

#include "lib/backup/delta.hpp"
#include "lib/backup/repository.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cell0ctl::backup::format {

inline constexpr int k_manifest_version = 2;
inline constexpr std::string_view k_inner_manifest = "cell0ctl-manifest.json";
inline constexpr std::string_view k_delta_folder = "cell0ctl-delta";

inline bool has_content(const nlohmann::json& file)
{
  return file.contains("sha256");
}

inline std::string stored(const nlohmann::json& file)
{
  return file.value("stored", std::string("whole"));
}

// The runs of a "blocks" entry.
BlockRuns runs_of(const nlohmann::json& file);

// The snapshots to restore in order, from a full to `id`; throws Error(Errc::failed) naming
// the first missing link.
std::vector<nlohmann::json> chain(const Repository& repository, const std::string& id);

std::string rfc3339(std::int64_t time_ns);
double seconds_since(std::chrono::steady_clock::time_point start);
std::string file_sha256(const std::filesystem::path& path);

} // namespace cell0ctl::backup::format
