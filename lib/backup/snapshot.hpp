// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Creating, verifying and restoring snapshots of Cell 0's state in a local repository.

#include "lib/backup/plan.hpp"
#include "lib/backup/repository.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cell0ctl::backup {

struct CreateOptions
{
  std::filesystem::path repository;
  std::vector<SourceRoot> roots;
  Selection selection;
  bool dry_run = false;
  int zstd_level = 3;
  std::string host;
  std::chrono::milliseconds lock_wait{30'000};
  bool lock_held = false; // the caller holds the repository's lock (a mirror's run)
  std::vector<std::string> ollama_models; // recorded instead of Ollama's model blobs
  // "full"; "differential" (relative to the newest full); "incremental" (relative to the
  // newest snapshot); "auto": a differential, or a full when there is none of this host or the
  // newest is older than `full_every`.
  std::string kind = "auto";
  std::chrono::seconds full_every{7 * 24 * 3600};
  // Encryption: age public keys ("age1...") and files of them; none: not encrypted.
  std::vector<std::string> age_recipients;
  std::vector<std::filesystem::path> age_recipients_files;
  // To read the parent's file list of an encrypted repository when the cache lacks it.
  std::vector<std::filesystem::path> age_identity_files;
  std::filesystem::path cache_dir; // where this host caches the manifests it writes
};

// How the files of a snapshot were stored.
struct StoreStats
{
  std::uint64_t whole = 0;     // files stored whole
  std::uint64_t unchanged = 0; // files referring to the parent's version
  std::uint64_t tails = 0;     // appended files: their new tail
  std::uint64_t blocks = 0;    // files changed in place: their changed 4 KiB blocks
  std::uint64_t bytes_stored = 0; // content bytes written to the archive (before compression)
};

struct CreateResult
{
  SnapshotInfo snapshot; // empty id for a dry run
  Plan plan;
  std::vector<std::string> warnings; // files that changed while read, JSONL cut, vanished
  std::vector<std::string> cleaned;  // partial files of killed runs removed
  std::string why_kind;              // why this kind ("no full snapshot of this host yet")
  StoreStats stats;
  double seconds = 0;
};

// Stores a snapshot: every planned file, SQLite databases through the online backup API,
// JSONL logs up to their last complete line, other files re-checked after reading; then the
// manifest (per file SHA-256, mode, owner, mtime, size) as the commit record. Throws Error:
// busy (lock held past lock_wait), failed (repository, space, I/O), leaving no partial files
// and older snapshots untouched.
CreateResult create_snapshot(const CreateOptions& options);

struct VerifyResult
{
  std::string id;
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> problems; // empty: the snapshot is sound
  std::string note; // what was not checked, and why ("encrypted: ...")
  double seconds = 0;
};

struct VerifyOptions
{
  std::vector<std::filesystem::path> age_identity_files;
  std::filesystem::path cache_dir;
};

// Re-reads the archive: its own SHA-256, and every file's content against the manifest.
// An encrypted snapshot without identity: only the stored bytes are checked (`note` says so).
VerifyResult verify_snapshot(const Repository& repository, const std::string& id,
                             const VerifyOptions& options);

struct RestoreOptions
{
  std::filesystem::path repository;
  std::string snapshot = "latest";
  // Instead of `snapshot`: the newest snapshot taken at or before this time (ns since epoch).
  std::optional<std::int64_t> at_ns;
  // Where the Cell 0 home (the snapshot's cell0/ part) goes; swapped in atomically.
  std::filesystem::path target;
  // Instead of `target`: an empty or new folder receiving the whole snapshot as stored.
  std::filesystem::path to;
  std::vector<std::string> only; // paths relative to the home ("runtime/goals.json")
  bool dry_run = false;
  std::chrono::milliseconds lock_wait{30'000};
  bool lock_held = false; // the caller holds the repository's lock (a mirror's run)
  std::vector<std::filesystem::path> age_identity_files;
  std::filesystem::path cache_dir;
};

struct RestoreResult
{
  std::string id;
  std::vector<std::string> chain; // the snapshots applied, from the full to `id`
  std::filesystem::path target;   // what now holds the restored files
  std::filesystem::path previous; // where the replaced home was moved (empty: none)
  std::uint64_t files = 0;
  std::uint64_t bytes = 0;
  std::vector<std::string> refused; // archive entries not written (unsafe)
  nlohmann::json manifest_files;    // the restored snapshot's file list (for further checks)
  double seconds = 0;
};

// Restores a snapshot (its full, then each differential or incremental step up to it) into a
// new folder next to the target, checks every file against the manifest, then swaps it in with one rename (renameat2 RENAME_EXCHANGE) and keeps what it
// replaced as <target>.pre-restore-<time>. Never writes outside the target's folder.
RestoreResult restore_snapshot(const RestoreOptions& options);

} // namespace cell0ctl::backup
