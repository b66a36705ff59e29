// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/repository.hpp"

#include "lib/core/error.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl::backup {

namespace {

constexpr std::string_view k_marker = k_repository_marker;

std::string read_text(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

Lock::~Lock()
{
  if (m_fd >= 0) {
    ::close(m_fd); // closing the descriptor releases the flock
  }
}

Lock& Lock::operator=(Lock&& other) noexcept
{
  if (this != &other) {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
    m_fd = other.m_fd;
    other.m_fd = -1;
  }
  return *this;
}

void sync_path(const fs::path& path)
{
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    const int error = errno;
    if (fd >= 0) {
      ::close(fd);
    }
    throw Error(Errc::failed, fmt::format("cannot sync {}: {}", path.string(), std::strerror(error)));
  }
  ::close(fd);
}

void write_file_atomically(const fs::path& path, std::string_view data)
{
  const fs::path partial = path.string() + ".partial";
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(partial, ec);
      throw Error(Errc::failed, fmt::format("cannot write {}: {}", partial.string(),
                                            std::strerror(errno)),
                  "check free space and permissions of the repository");
    }
  }
  sync_path(partial);
  fs::rename(partial, path);
  sync_path(path.parent_path());
}

std::string repository_marker_text()
{
  return nlohmann::json{{"format", "cell0ctl-repository"}, {"version", 1}}.dump(2) + "\n";
}

Repository::Repository(fs::path root) : m_root(std::move(root))
{
  std::error_code ec;
  const fs::path listing = m_root / k_remote_listing;
  if (!fs::is_regular_file(listing, ec)) {
    return;
  }
  try {
    const auto json = nlohmann::json::parse(read_text(listing));
    auto remote = std::make_shared<Remote>();
    remote->name = json.at("store").get<std::string>();
    for (const auto& [name, size] : json.at("objects").items()) {
      remote->objects.emplace(name, size.get<std::uint64_t>());
    }
    m_remote = std::move(remote);
  } catch (const nlohmann::json::exception& e) {
    throw Error(Errc::failed, fmt::format("{} is damaged: {}", listing.string(), e.what()),
                "remove it: the next run lists the store again");
  }
}

std::string Repository::name() const
{
  return m_remote ? m_remote->name : m_root.string();
}

std::optional<std::uint64_t> Repository::object_size(const std::string& name) const
{
  std::error_code ec;
  if (const auto size = fs::file_size(m_root / name, ec); !ec) {
    return size;
  }
  if (m_remote) {
    if (const auto it = m_remote->objects.find(name); it != m_remote->objects.end()) {
      return it->second;
    }
  }
  return std::nullopt;
}

std::string archive_object(const nlohmann::json& manifest)
{
  const std::string id = manifest.value("id", "");
  if (const auto it = manifest.find("archive"); it != manifest.end() && it->contains("name")) {
    return "snapshots/" + (*it)["name"].get<std::string>();
  }
  return "snapshots/" + id + ".tar.zst";
}

bool Repository::has_archive(const nlohmann::json& manifest) const
{
  return object_size(archive_object(manifest)).has_value();
}

Repository Repository::open(const fs::path& root)
{
  std::error_code ec;
  if (!fs::is_regular_file(root / k_marker, ec)) {
    throw Error(Errc::failed,
                fmt::format("{} is not a cell0ctl backup repository (no {})", root.string(),
                            k_marker),
                "check --repo, or create one with a first `cell0ctl backup --repo DIR`");
  }
  return Repository(root);
}

Repository Repository::open_or_create(const fs::path& root)
{
  std::error_code ec;
  if (fs::is_regular_file(root / k_marker, ec)) {
    return Repository(root);
  }
  if (fs::exists(root, ec) && !fs::is_empty(root, ec)) {
    throw Error(Errc::failed,
                fmt::format("{} is neither empty nor a cell0ctl backup repository", root.string()),
                "give --repo an empty or new folder");
  }
  fs::create_directories(root / "snapshots", ec);
  if (ec) {
    throw Error(Errc::failed, fmt::format("cannot create repository {}: {}", root.string(),
                                          ec.message()));
  }
  fs::permissions(root, fs::perms::owner_all, ec);
  fs::permissions(root / "snapshots", fs::perms::owner_all, ec);
  write_file_atomically(root / k_marker, repository_marker_text());
  return Repository(root);
}

fs::path Repository::archive_path(const std::string& id) const
{
  return m_root / "snapshots" / (id + ".tar.zst");
}

fs::path Repository::manifest_path(const std::string& id) const
{
  return m_root / "snapshots" / (id + ".json");
}

SnapshotInfo snapshot_info(const nlohmann::json& manifest, std::uint64_t stored_bytes)
{
  SnapshotInfo info;
  info.id = manifest.value("id", "");
  info.time = manifest.value("time", "");
  info.time_ns = manifest.value("time_ns", std::int64_t{0});
  info.kind = manifest.value("kind", "full");
  info.parent = manifest.value("parent", "");
  info.host = manifest.value("host", "");
  if (const auto it = manifest.find("totals"); it != manifest.end()) {
    info.files = it->value("files", std::uint64_t{0});
    info.data_bytes = it->value("bytes", std::uint64_t{0});
  }
  info.stored_bytes = stored_bytes;
  return info;
}

namespace {

// The summary of a manifest that list() needs, as kept in the index.
nlohmann::json summary_of(const nlohmann::json& manifest)
{
  nlohmann::json summary = {{"id", manifest.value("id", "")},
                            {"time", manifest.value("time", "")},
                            {"time_ns", manifest.value("time_ns", std::int64_t{0})},
                            {"kind", manifest.value("kind", "full")},
                            {"parent", manifest.value("parent", "")},
                            {"host", manifest.value("host", "")},
                            {"archive", {{"name", archive_object(manifest).substr(10)}}}};
  if (const auto it = manifest.find("totals"); it != manifest.end()) {
    summary["totals"] = {{"files", it->value("files", std::uint64_t{0})},
                         {"bytes", it->value("bytes", std::uint64_t{0})}};
  }
  return summary;
}

std::int64_t mtime_ns(const fs::path& path)
{
  std::error_code ec;
  const auto time = fs::last_write_time(path, ec);
  return ec ? 0 : std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

} // namespace

std::vector<SnapshotInfo> Repository::list() const
{
  // Manifests list every file (megabytes for a large home) and never change once written: their
  // summaries are kept in <repo>/index.json, keyed by manifest name, size and mtime, so that a
  // listing parses only the manifests it has not seen. The index is a cache: a damaged or
  // unwritable one costs time, never correctness.
  const fs::path index_path = m_root / k_index;
  nlohmann::json index;
  try {
    index = nlohmann::json::parse(read_text(index_path)).at("manifests");
  } catch (const nlohmann::json::exception&) {
    index = nlohmann::json::object();
  }
  nlohmann::json fresh = nlohmann::json::object();
  bool changed = false;
  std::vector<SnapshotInfo> snapshots;
  std::error_code ec;
  for (fs::directory_iterator it(m_root / "snapshots", ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::path& path = it->path();
    if (path.extension() != ".json") {
      continue;
    }
    const std::string name = path.filename().string();
    std::error_code size_ec;
    const std::uint64_t size = fs::file_size(path, size_ec);
    const std::int64_t mtime = mtime_ns(path);
    nlohmann::json summary;
    if (const auto cached = index.find(name); cached != index.end() && cached->is_object()
                                              && cached->value("size", std::uint64_t{0}) == size
                                              && cached->value("mtime_ns", std::int64_t{0}) == mtime
                                              && cached->contains("summary")) {
      summary = (*cached)["summary"];
    } else {
      try {
        summary = summary_of(nlohmann::json::parse(read_text(path)));
      } catch (const nlohmann::json::exception&) {
        continue; // not a manifest
      }
      changed = true;
    }
    fresh[name] = {{"size", size}, {"mtime_ns", mtime}, {"summary", summary}};
    const std::string id = summary.value("id", "");
    std::uint64_t stored = 0;
    for (const std::string& object : {"snapshots/" + name, archive_object(summary),
                                      "snapshots/" + id + ".manifest.age"}) {
      stored += object_size(object).value_or(0);
    }
    snapshots.push_back(snapshot_info(summary, stored));
  }
  if (changed || fresh.size() != index.size()) {
    try {
      write_file_atomically(index_path, nlohmann::json{{"version", 1}, {"manifests", fresh}}.dump() + "\n");
    } catch (const std::exception&) {
      // A read-only repository, or another run writing it at the same time: listed all the same.
    }
  }
  std::sort(snapshots.begin(), snapshots.end(), [](const SnapshotInfo& a, const SnapshotInfo& b) {
    return a.time_ns < b.time_ns;
  });
  return snapshots;
}

std::string Repository::resolve(const std::string& reference) const
{
  const auto snapshots = list();
  if (snapshots.empty()) {
    throw Error(Errc::usage, fmt::format("the repository {} has no snapshot", name()),
                "create one with `cell0ctl backup`");
  }
  if (reference.empty() || reference == "latest") {
    return snapshots.back().id;
  }
  std::vector<std::string> found;
  for (const SnapshotInfo& snapshot : snapshots) {
    if (snapshot.id.rfind(reference, 0) == 0) {
      found.push_back(snapshot.id);
    }
  }
  if (found.size() != 1) {
    throw Error(Errc::usage,
                fmt::format("snapshot '{}' {} in {}", reference,
                            found.empty() ? "does not exist" : "is ambiguous", name()),
                "list them with `cell0ctl backup list`");
  }
  return found.front();
}

std::string Repository::resolve_at(std::int64_t time_ns) const
{
  const auto snapshots = list();
  const SnapshotInfo* found = nullptr;
  for (const SnapshotInfo& snapshot : snapshots) {
    if (snapshot.time_ns <= time_ns) {
      found = &snapshot;
    }
  }
  if (found == nullptr) {
    throw Error(Errc::usage,
                snapshots.empty()
                    ? fmt::format("the repository {} has no snapshot", name())
                    : fmt::format("no snapshot of {} was taken by then: the oldest is {} of {}",
                                  name(), snapshots.front().id, snapshots.front().time),
                "list them with `cell0ctl backup list`");
  }
  return found->id;
}

nlohmann::json Repository::read_manifest(const std::string& id) const
{
  const fs::path path = manifest_path(id);
  try {
    return nlohmann::json::parse(read_text(path));
  } catch (const nlohmann::json::exception& e) {
    throw Error(Errc::failed, fmt::format("manifest {} is damaged: {}", path.string(), e.what()),
                "the snapshot cannot be trusted; use another one");
  }
}

Lock Repository::lock(Deadline until) const
{
  return lock(m_root, name(), until);
}

Lock Repository::lock(const fs::path& root, const std::string& name, Deadline until)
{
  const fs::path path = root / "lock";
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) {
    throw Error(Errc::failed, fmt::format("cannot open {}: {}", path.string(), std::strerror(errno)));
  }
  Lock held(fd);
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      throw Error(Errc::failed, fmt::format("cannot lock {}: {}", path.string(), std::strerror(errno)));
    }
    if (until.passed()) {
      throw Error(Errc::busy,
                  fmt::format("the repository {} is locked by another cell0ctl run", name),
                  "wait for it to finish, or give it longer with --lock-wait");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return held;
}

void Repository::remove_snapshot(const std::string& id) const
{
  std::error_code ec;
  if (!fs::remove(manifest_path(id), ec) && ec) {
    throw Error(Errc::failed, fmt::format("cannot remove {}: {}", manifest_path(id).string(), ec.message()));
  }
  sync_path(m_root / "snapshots");
  // What is left behind is an orphan: the next run cleans it.
  fs::remove(archive_path(id), ec);
  fs::remove(archive_path(id).string() + ".age", ec);
  fs::remove(m_root / "snapshots" / (id + ".manifest.age"), ec);
}

void Repository::record_restore_test(const nlohmann::json& record) const
{
  write_file_atomically(m_root / "last-restore-test.json", record.dump(2) + "\n");
}

std::optional<nlohmann::json> Repository::last_restore_test() const
{
  const fs::path path = m_root / "last-restore-test.json";
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return std::nullopt;
  }
  try {
    return nlohmann::json::parse(read_text(path));
  } catch (const nlohmann::json::exception&) {
    return std::nullopt; // a damaged record counts as no test
  }
}

std::vector<std::string> Repository::clean_orphans() const
{
  std::vector<std::string> removed;
  std::error_code ec;
  for (fs::directory_iterator it(m_root / "snapshots", ec), end; !ec && it != end;
       it.increment(ec)) {
    const fs::path& path = it->path();
    const std::string name = path.filename().string();
    bool orphan = name.size() > 8 && name.substr(name.size() - 8) == ".partial";
    // What a snapshot stores beside its manifest: orphans when the manifest is gone.
    for (const std::string_view suffix : {".tar.zst", ".tar.zst.age", ".manifest.age"}) {
      if (!orphan && name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix) {
        orphan = !fs::exists(manifest_path(name.substr(0, name.size() - suffix.size())));
      }
    }
    if (orphan && fs::remove(path, ec)) {
      removed.push_back(name);
    }
  }
  return removed;
}

} // namespace cell0ctl::backup
