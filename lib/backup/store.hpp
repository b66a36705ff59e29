// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Where a backup repository keeps its files: a local folder or an S3 bucket, behind one
// interface, so that the repository code does not know which.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::backup {

struct ObjectInfo
{
  std::string name;
  std::uint64_t size = 0;
};

// A flat namespace of objects named with '/'-separated relative names ("snapshots/ab12cd34.json").
// Every operation throws Error(Errc::failed) naming the object and saying why when it cannot be
// done. A Store is used by one thread at a time.
class Store
{
public:
  virtual ~Store() = default;

  // Where the objects are, for people: "s3://bucket/prefix"; never a credential.
  virtual std::string describe() const = 0;

  // Stores the local `file` under `name`, replacing any object of that name; readers see all of
  // it or nothing (S3: a single PUT, or a multipart upload completed last).
  virtual void put_file(const std::string& name, const std::filesystem::path& file) = 0;
  virtual void put(const std::string& name, std::string_view data) = 0;

  // Streams the object's bytes to `sink` in order; throws when it is missing or on I/O error.
  virtual void get(const std::string& name, const std::function<void(std::string_view)>& sink) = 0;
  // Replaces `file` with the object atomically ("<file>.partial", then rename).
  virtual void get_file(const std::string& name, const std::filesystem::path& file) = 0;
  // The whole object, or nothing when it is missing.
  virtual std::optional<std::string> get_small(const std::string& name) = 0;

  // The objects whose names start with `prefix`, from all pages of the listing, with names
  // relative to the store (as given to put), sorted by name.
  virtual std::vector<ObjectInfo> list(const std::string& prefix) = 0;

  // Removes the object; no error when it is already absent.
  virtual void remove(const std::string& name) = 0;

  // The object's file, for a store of local files; nothing for a remote store.
  virtual std::optional<std::filesystem::path> local_path(const std::string& /*name*/) const
  {
    return std::nullopt;
  }
};

// A Store in a local folder: objects are files, written as "<name>.partial", fsynced and
// renamed, so that a reader sees a whole file or none.
class LocalStore final : public Store
{
public:
  explicit LocalStore(std::filesystem::path root) : m_root(std::move(root)) {}

  std::string describe() const override { return m_root.string(); }
  void put_file(const std::string& name, const std::filesystem::path& file) override;
  void put(const std::string& name, std::string_view data) override;
  void get(const std::string& name, const std::function<void(std::string_view)>& sink) override;
  void get_file(const std::string& name, const std::filesystem::path& file) override;
  std::optional<std::string> get_small(const std::string& name) override;
  // Leaves out "*.partial" files and the repository's lock; nothing when the folder is absent.
  std::vector<ObjectInfo> list(const std::string& prefix) override;
  void remove(const std::string& name) override;
  std::optional<std::filesystem::path> local_path(const std::string& name) const override;

private:
  std::filesystem::path path_of(const std::string& name) const;
  std::filesystem::path m_root;
};

} // namespace cell0ctl::backup
