// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A local backup repository: a folder holding, per snapshot, its archive and its manifest.
//
//   <repo>/cell0ctl-repository.json      {"format": "cell0ctl-repository", "version": 1}
//   <repo>/snapshots/<id>.tar.zst        pax tar + zstd: restores with `tar --zstd -xf`
//   <repo>/snapshots/<id>.json           the manifest, written last: the commit record
//   <repo>/lock                          flock(2)ed by a run that writes
//   <repo>/index.json                    the manifests' summaries: a cache of list()
//
// Both files are written as "<name>.partial", fsynced and renamed, and the folder fsynced, so
// that a crash or SIGKILL at any moment leaves either a committed snapshot or none: a snapshot
// exists when its manifest does, and an archive without manifest is cleaned by the next run.
//
// A repository in object storage (S3) is worked on through a local mirror of this layout
// (mirror.hpp): its manifests are copied here, and <repo>/remote-objects.json lists the objects
// the store holds (name and size), so that archives not fetched still count as present.

#include "lib/sys/deadline.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cell0ctl::backup {

struct SnapshotInfo
{
  std::string id;
  std::string time; // RFC 3339, UTC
  std::int64_t time_ns = 0;
  std::string kind = "full";
  std::string parent;
  std::string host;
  std::uint64_t files = 0;
  std::uint64_t data_bytes = 0;   // of the files stored
  std::uint64_t stored_bytes = 0; // archive + manifest on disk
};

// A held flock(2) on the repository; released on destruction (and by the kernel if the
// process dies, so that a killed run never leaves a stale lock).
class Lock
{
public:
  Lock() = default;
  explicit Lock(int fd) : m_fd(fd) {}
  ~Lock();
  Lock(Lock&& other) noexcept : m_fd(other.m_fd) { other.m_fd = -1; }
  Lock& operator=(Lock&& other) noexcept;
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

private:
  int m_fd = -1;
};

class Repository
{
public:
  // Opens the repository at `root`; throws Error(Errc::failed) when it is not one.
  static Repository open(const std::filesystem::path& root);
  // Opens it, creating it first when `root` is absent or an empty folder.
  static Repository open_or_create(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return m_root; }
  // For people and messages: the folder, or the store a mirror stands for ("s3://bucket/prefix").
  std::string name() const;
  bool mirrored() const { return m_remote != nullptr; }
  std::filesystem::path archive_path(const std::string& id) const;
  std::filesystem::path manifest_path(const std::string& id) const;

  // Committed snapshots, oldest first.
  std::vector<SnapshotInfo> list() const;

  // "latest", a full id or a unique prefix of one; throws Error(Errc::usage) otherwise.
  std::string resolve(const std::string& reference) const;

  // The newest snapshot taken at or before `time_ns`; throws Error(Errc::usage) when none was.
  std::string resolve_at(std::int64_t time_ns) const;

  nlohmann::json read_manifest(const std::string& id) const;

  // Whether the object `name` ("snapshots/<id>.tar.zst") is stored: here, or, in a mirror, in
  // the store's listing; and its size.
  std::optional<std::uint64_t> object_size(const std::string& name) const;
  // Whether the archive of a manifest (whole or summary) is stored.
  bool has_archive(const nlohmann::json& manifest) const;

  // Takes the repository's lock, waiting until `until`; throws Error(Errc::busy) then.
  Lock lock(Deadline until) const;
  // The same for the repository (or mirror) folder `root`, named `name` in messages.
  static Lock lock(const std::filesystem::path& root, const std::string& name, Deadline until);

  // The last restore test (`backup verify --restore`): {"id", "time_ns", "seconds", "ok",
  // "files", "bytes", "problems"}; recorded in <repo>/last-restore-test.json.
  void record_restore_test(const nlohmann::json& record) const;
  std::optional<nlohmann::json> last_restore_test() const;

  // Removes a snapshot: its manifest first (it is then no longer listed nor restorable), then
  // its archive. Call with the lock held.
  void remove_snapshot(const std::string& id) const;

  // Removes archives and partial files no manifest commits (left by a killed run); call with
  // the lock held.
  std::vector<std::string> clean_orphans() const;

private:
  struct Remote
  {
    std::string name;
    std::map<std::string, std::uint64_t> objects;
  };

  explicit Repository(std::filesystem::path root);
  std::filesystem::path m_root;
  std::shared_ptr<const Remote> m_remote; // a mirror: what its store holds
};

// The file that makes a folder (or a prefix of a bucket) a repository, and its content.
inline constexpr std::string_view k_repository_marker = "cell0ctl-repository.json";
std::string repository_marker_text();

// The summaries of the manifests (a cache of list()), in the repository folder.
inline constexpr std::string_view k_index = "index.json";

// The name of the mirror's listing of its store, in the repository folder.
inline constexpr std::string_view k_remote_listing = "remote-objects.json";

// The archive object of a manifest (whole or summary): "snapshots/<name>".
std::string archive_object(const nlohmann::json& manifest);

// Summary of a manifest.
SnapshotInfo snapshot_info(const nlohmann::json& manifest, std::uint64_t stored_bytes);

// Writes `data` to `path` durably: "<path>.partial", fsync, rename, fsync of the folder.
void write_file_atomically(const std::filesystem::path& path, std::string_view data);

// fsyncs the file or folder at `path`; throws Error(Errc::failed).
void sync_path(const std::filesystem::path& path);

} // namespace cell0ctl::backup
