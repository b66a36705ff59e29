// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Repositories in object storage, and copying snapshots between repositories.
//
// A repository in a bucket has the layout of a local one (repository.hpp), one object a file.
// cell0ctl works on it through a mirror, a local repository folder in this host's cache that
// holds the manifests (immutable, so fetched once) and the store's listing; archives are
// fetched only to verify or restore, and dropped after. A backup is made into the mirror, then
// uploaded: the archive, the sealed manifest, and the manifest last, so that the store lists
// a snapshot only once all of it is there.
//
// The repository's lock is the mirror's: it keeps the runs of one host apart, not those of two
// hosts writing to the same prefix (give each host its own prefix).

#include "lib/backup/repository.hpp"
#include "lib/backup/store.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::backup {

// Whether `repository` names object storage ("s3://BUCKET/PREFIX") rather than a folder.
bool is_store_url(std::string_view repository);

// Where this host mirrors the repository at `url`: <cache_dir>/repositories/<hash of url>.
std::filesystem::path mirror_folder(const std::filesystem::path& cache_dir, const std::string& url);

// Makes `store` a repository: writes its marker when it holds nothing. Throws
// Error(Errc::failed) when it holds something else; nothing when it already is one.
void create_repository(Store& store);

// The ids of the snapshots whose manifest `store` holds (committed snapshots), sorted.
std::vector<std::string> committed_ids(Store& store);

// The snapshots restoring `id` applies, from its full to `id` itself, by the manifests'
// "parent"; throws Error(Errc::failed) naming the first link whose manifest is missing.
std::vector<std::string> chain_ids(const Repository& repository, const std::string& id);

// Copies snapshot `id` from `from` to `to`: its archive, checked against the SHA-256 its
// manifest records, its sealed manifest when encrypted, then its manifest, last. Objects of a
// remote `from` pass through `staging`. Returns the bytes copied. Throws Error(Errc::failed).
std::uint64_t copy_snapshot(Store& from, Store& to, const std::string& id,
                            const std::filesystem::path& staging);

class Mirror
{
public:
  Mirror(std::unique_ptr<Store> store, std::filesystem::path root);

  Store& store() { return *m_store; }
  const std::filesystem::path& root() const { return m_root; }

  // Brings the mirror in step with its store and opens it: manifests the mirror lacks are
  // downloaded, those the store no longer has are dropped, and the listing is recorded. With
  // `create`, an empty store is made a repository first; otherwise a store that is not one
  // throws Error(Errc::failed).
  Repository pull(bool create);

  // Downloads what the mirror lacks to verify or restore `id`: the archives (and sealed
  // manifests) of its chain; without `archives`, the sealed manifests only (what a dry run
  // reads). Returns the bytes downloaded.
  std::uint64_t fetch(const Repository& repository, const std::string& id, bool archives = true);

  // Uploads snapshot `id`, made in the mirror, manifest last; then keeps only its manifest here.
  void push(const std::string& id);

  // Removes snapshot `id` from the store, its manifest first (it is then no longer listed),
  // and from the mirror.
  void remove(const Repository& repository, const std::string& id);

  // Removes from the store the objects of snapshots without manifest: left by an upload that
  // was killed midway, never listed nor restorable. Call with the mirror's lock held; a prefix
  // written by one host only (see above).
  std::vector<std::string> clean_orphans();

  // Uploads the record of the last restore test (backup verify --restore).
  void push_restore_test();

  // Drops what fetch() downloaded: the mirror keeps only manifests.
  void drop_archives();

private:
  void write_listing();

  std::unique_ptr<Store> m_store;
  std::filesystem::path m_root;
  std::map<std::string, std::uint64_t> m_objects; // the store's listing
};

} // namespace cell0ctl::backup
