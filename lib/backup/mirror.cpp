// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/mirror.hpp"

#include "lib/core/error.hpp"
#include "lib/util/sha256.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <set>

namespace fs = std::filesystem;

namespace cell0ctl::backup {

namespace {

constexpr std::string_view k_restore_test = "last-restore-test.json";

bool ends_with(std::string_view text, std::string_view suffix)
{
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_manifest_object(std::string_view name)
{
  return name.rfind("snapshots/", 0) == 0 && ends_with(name, ".json");
}

std::string manifest_object(const std::string& id)
{
  return "snapshots/" + id + ".json";
}

// The objects a snapshot stores beside its manifest: the archive, and the sealed manifest of
// an encrypted one.
std::vector<std::string> content_objects(const nlohmann::json& manifest)
{
  std::vector<std::string> objects = {archive_object(manifest)};
  if (const auto it = manifest.find("manifest"); it != manifest.end() && it->is_string()) {
    objects.push_back("snapshots/" + it->get<std::string>());
  }
  return objects;
}

nlohmann::json parse_manifest(const std::string& text, const std::string& where)
{
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw Error(Errc::failed, fmt::format("manifest {} is damaged: {}", where, e.what()),
                "the snapshot cannot be trusted; use another one");
  }
}

} // namespace

bool is_store_url(std::string_view repository)
{
  return repository.rfind("s3://", 0) == 0;
}

fs::path mirror_folder(const fs::path& cache_dir, const std::string& url)
{
  std::string key = url;
  while (key.size() > 5 && key.back() == '/') {
    key.pop_back(); // s3://bucket/prefix/ and s3://bucket/prefix are one repository
  }
  return cache_dir / "repositories" / util::sha256_hex(key).substr(0, 16);
}

void create_repository(Store& store)
{
  const auto objects = store.list("");
  for (const ObjectInfo& object : objects) {
    if (object.name == k_repository_marker) {
      return;
    }
  }
  if (!objects.empty()) {
    throw Error(Errc::failed,
                fmt::format("{} is neither empty nor a cell0ctl backup repository ({} objects, no {})",
                            store.describe(), objects.size(), k_repository_marker),
                "give --repo an empty prefix, such as s3://BUCKET/cell0");
  }
  store.put(std::string(k_repository_marker), repository_marker_text());
}

std::vector<std::string> committed_ids(Store& store)
{
  std::vector<std::string> ids;
  for (const ObjectInfo& object : store.list("snapshots/")) {
    if (is_manifest_object(object.name)) {
      ids.push_back(object.name.substr(10, object.name.size() - 10 - 5));
    }
  }
  return ids;
}

std::vector<std::string> chain_ids(const Repository& repository, const std::string& id)
{
  std::vector<std::string> chain;
  std::set<std::string> seen;
  std::string next = id;
  while (!next.empty()) {
    std::error_code ec;
    if (!fs::exists(repository.manifest_path(next), ec)) {
      throw Error(Errc::failed,
                  fmt::format("snapshot {} builds on {}, which is not in {}", chain.empty() ? id : chain.back(),
                              next, repository.name()),
                  "restore another snapshot, or copy the missing one back");
    }
    if (!seen.insert(next).second) {
      throw Error(Errc::failed, fmt::format("the snapshots of {} build on each other in a loop ({})",
                                            repository.name(), next));
    }
    chain.push_back(next);
    const auto manifest = repository.read_manifest(next);
    next = manifest.value("kind", "full") == "full" ? "" : manifest.value("parent", "");
  }
  return {chain.rbegin(), chain.rend()};
}

std::uint64_t copy_snapshot(Store& from, Store& to, const std::string& id, const fs::path& staging)
{
  const std::string manifest_name = manifest_object(id);
  const auto text = from.get_small(manifest_name);
  if (!text) {
    throw Error(Errc::failed, fmt::format("snapshot {} is not in {}", id, from.describe()));
  }
  const auto manifest = parse_manifest(*text, from.describe() + "/" + manifest_name);
  const std::string archive = archive_object(manifest);
  std::uint64_t bytes = 0;
  for (const std::string& name : content_objects(manifest)) {
    fs::path file;
    std::error_code ec;
    if (const auto local = from.local_path(name)) {
      file = *local;
    } else {
      fs::create_directories(staging, ec);
      file = staging / fs::path(name).filename();
      from.get_file(name, file);
    }
    struct Cleanup
    {
      fs::path path;
      ~Cleanup()
      {
        if (!path.empty()) {
          std::error_code ignored;
          fs::remove(path, ignored);
        }
      }
    } cleanup{from.local_path(name) ? fs::path() : file};
    if (name == archive) {
      const auto recorded = manifest.find("archive");
      if (recorded != manifest.end() && recorded->contains("sha256")
          && util::file_sha256(file) != (*recorded)["sha256"].get<std::string>()) {
        throw Error(Errc::failed,
                    fmt::format("the archive of snapshot {} in {} does not match the SHA-256 its "
                                "manifest records: it is not copied",
                                id, from.describe()),
                    fmt::format("check it with `cell0ctl backup verify --repo {} {}`", from.describe(), id));
      }
    }
    to.put_file(name, file);
    bytes += fs::file_size(file, ec);
  }
  to.put(manifest_name, *text); // the commit record, last
  return bytes + text->size();
}

Mirror::Mirror(std::unique_ptr<Store> store, fs::path root) : m_store(std::move(store)), m_root(std::move(root))
{
}

void Mirror::write_listing()
{
  nlohmann::json objects = nlohmann::json::object();
  for (const auto& [name, size] : m_objects) {
    objects[name] = size;
  }
  write_file_atomically(m_root / k_remote_listing,
                        nlohmann::json{{"store", m_store->describe()}, {"objects", objects}}.dump(1) + "\n");
}

Repository Mirror::pull(bool create)
{
  m_objects.clear();
  for (const ObjectInfo& object : m_store->list("")) {
    m_objects.emplace(object.name, object.size);
  }
  if (!m_objects.contains(std::string(k_repository_marker))) {
    if (!create) {
      throw Error(Errc::failed,
                  fmt::format("{} is not a cell0ctl backup repository (no {})", m_store->describe(),
                              k_repository_marker),
                  "check --repo, or create one with a first `cell0ctl backup --repo URL`");
    }
    create_repository(*m_store);
    m_objects.emplace(k_repository_marker, repository_marker_text().size());
  }
  std::error_code ec;
  fs::create_directories(m_root / "snapshots", ec);
  if (ec) {
    throw Error(Errc::failed, fmt::format("cannot create {}: {}", (m_root / "snapshots").string(), ec.message()));
  }
  fs::permissions(m_root, fs::perms::owner_all, ec);
  fs::permissions(m_root / "snapshots", fs::perms::owner_all, ec);
  if (!fs::exists(m_root / k_repository_marker, ec)) {
    write_file_atomically(m_root / k_repository_marker, repository_marker_text());
  }
  // Manifests never change once written: fetch those the mirror lacks, drop those gone.
  for (const auto& [name, size] : m_objects) {
    if (is_manifest_object(name) && fs::file_size(m_root / name, ec) != size) {
      m_store->get_file(name, m_root / name);
    }
  }
  for (fs::directory_iterator it(m_root / "snapshots", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = "snapshots/" + it->path().filename().string();
    if (!m_objects.contains(name)) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
  if (m_objects.contains(std::string(k_restore_test))) {
    m_store->get_file(std::string(k_restore_test), m_root / k_restore_test);
  } else {
    fs::remove(m_root / k_restore_test, ec);
  }
  write_listing();
  return Repository::open(m_root);
}

std::uint64_t Mirror::fetch(const Repository& repository, const std::string& id, bool archives)
{
  std::uint64_t bytes = 0;
  for (const std::string& link : chain_ids(repository, id)) {
    const auto manifest = repository.read_manifest(link);
    for (const std::string& name : content_objects(manifest)) {
      std::error_code ec;
      if (!archives && name == archive_object(manifest)) {
        continue;
      }
      const auto size = m_objects.find(name);
      if (size == m_objects.end() || fs::file_size(m_root / name, ec) == size->second) {
        continue; // missing from the store (verify and restore say so) or already here
      }
      m_store->get_file(name, m_root / name);
      bytes += size->second;
    }
  }
  return bytes;
}

void Mirror::push(const std::string& id)
{
  LocalStore local(m_root);
  copy_snapshot(local, *m_store, id, m_root / "staging");
  const auto manifest = Repository::open(m_root).read_manifest(id);
  std::error_code ec;
  for (const std::string& name : content_objects(manifest)) {
    m_objects[name] = fs::file_size(m_root / name, ec);
    fs::remove(m_root / name, ec);
  }
  m_objects[manifest_object(id)] = fs::file_size(m_root / manifest_object(id), ec);
  write_listing();
}

void Mirror::remove(const Repository& repository, const std::string& id)
{
  const auto manifest = repository.read_manifest(id);
  m_store->remove(manifest_object(id));
  m_objects.erase(manifest_object(id));
  for (const std::string& name : content_objects(manifest)) {
    m_store->remove(name);
    m_objects.erase(name);
  }
  repository.remove_snapshot(id);
  write_listing();
}

std::vector<std::string> Mirror::clean_orphans()
{
  std::vector<std::string> removed;
  for (const auto& [name, size] : std::map(m_objects)) {
    if (name.rfind("snapshots/", 0) != 0 || is_manifest_object(name)) {
      continue;
    }
    // snapshots/<id>.tar.zst, .tar.zst.age, .manifest.age: the id is what precedes the first dot.
    const std::string file = name.substr(10);
    const std::string id = file.substr(0, file.find('.'));
    if (!m_objects.contains(manifest_object(id))) {
      m_store->remove(name);
      m_objects.erase(name);
      removed.push_back(name);
    }
  }
  if (!removed.empty()) {
    write_listing();
  }
  return removed;
}

void Mirror::push_restore_test()
{
  const fs::path record = m_root / k_restore_test;
  std::error_code ec;
  if (fs::is_regular_file(record, ec)) {
    m_store->put_file(std::string(k_restore_test), record);
    m_objects[std::string(k_restore_test)] = fs::file_size(record, ec);
    write_listing();
  }
}

void Mirror::drop_archives()
{
  std::error_code ec;
  for (fs::directory_iterator it(m_root / "snapshots", ec), end; !ec && it != end; it.increment(ec)) {
    if (!ends_with(it->path().filename().string(), ".json")) {
      std::error_code ignored;
      fs::remove(it->path(), ignored);
    }
  }
}

} // namespace cell0ctl::backup
