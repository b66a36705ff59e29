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

#include "lib/archive/stream.hpp"
#include "lib/backup/delta.hpp"
#include "lib/backup/repository.hpp"
#include "lib/crypto/age.hpp"

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

// What reading an encrypted repository takes: secret keys, and the cache where this host keeps
// a plaintext copy of the manifests it wrote (so that backups need only public keys).
struct Keys
{
  std::vector<age::Identity> identities;
  std::filesystem::path cache_dir; // empty: none
};

Keys load_keys(const std::vector<std::filesystem::path>& identity_files,
               const std::filesystem::path& cache_dir);

// Where this host caches the manifests of `repository`.
std::filesystem::path cache_folder(const Repository& repository, const std::filesystem::path& cache_dir);

// The whole manifest of snapshot `id`: the one in the repository, or, for an encrypted
// snapshot (whose <id>.json holds only a summary), the cached copy or <id>.manifest.age
// decrypted. Throws Error(Errc::usage) when neither is at hand.
nlohmann::json load_manifest(const Repository& repository, const std::string& id, const Keys& keys);

// The archive file of a manifest (whole or summary).
std::filesystem::path archive_of(const Repository& repository, const nlohmann::json& manifest);

bool encrypted(const nlohmann::json& manifest);

// Opens the archive of `manifest` for reading, decrypting it when needed (throws
// Error(Errc::usage) when it is encrypted and `keys` has no identity).
class ArchiveInput
{
public:
  ArchiveInput(const Repository& repository, const nlohmann::json& manifest, const Keys& keys);
  archive::Input& input() { return m_decrypting ? *m_decrypting : static_cast<archive::Input&>(*m_file); }

private:
  std::unique_ptr<archive::Input> m_file;
  std::unique_ptr<archive::Input> m_decrypting;
};

// The runs of a "blocks" entry.
BlockRuns runs_of(const nlohmann::json& file);

// The snapshots to restore in order, from a full to `id`; throws Error(Errc::failed) naming
// the first missing link.
std::vector<nlohmann::json> chain(const Repository& repository, const std::string& id, const Keys& keys);

std::string rfc3339(std::int64_t time_ns);
double seconds_since(std::chrono::steady_clock::time_point start);

} // namespace cell0ctl::backup::format
