// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/snapshot.hpp"

#include "lib/archive/archive.hpp"
#include "lib/backup/sqlite_copy.hpp"
#include "lib/core/error.hpp"
#include "lib/util/sha256.hpp"
#include "lib/util/strings.hpp"
#include "lib/util/units.hpp"

#include "cell0ctl_version.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace cell0ctl::backup {

namespace {

constexpr std::uint64_t k_in_memory = 8u << 20u; // files read whole, then re-checked
constexpr int k_retries = 3;

double seconds_since(Clock::time_point start)
{
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string new_id(const std::string& host, std::int64_t time_ns)
{
  std::random_device random;
  return util::sha256_hex(fmt::format("{}/{}/{}", host, time_ns, random())).substr(0, 8);
}

std::string rfc3339(std::int64_t time_ns)
{
  const std::time_t seconds = static_cast<std::time_t>(time_ns / 1'000'000'000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(seconds));
}

archive::Entry entry_of(const PlannedFile& file, std::uint64_t size)
{
  archive::Entry entry;
  entry.path = file.path;
  entry.type = file.kind == Kind::directory ? archive::Entry::Type::directory
               : file.kind == Kind::symlink ? archive::Entry::Type::symlink
                                            : archive::Entry::Type::file;
  entry.mode = file.mode;
  entry.uid = file.uid;
  entry.gid = file.gid;
  entry.mtime_sec = file.mtime_ns / 1'000'000'000;
  entry.mtime_nsec = static_cast<long>(file.mtime_ns % 1'000'000'000);
  entry.size = size;
  entry.link_target = file.link_target;
  return entry;
}

struct Stamp
{
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool exists = false;
  bool operator==(const Stamp&) const = default;
};

Stamp stamp(const fs::path& path)
{
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    return {};
  }
  return {static_cast<std::uint64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          true};
}

std::optional<std::string> read_whole(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The length of `path` up to and including its last newline, at most `size`.
std::uint64_t complete_lines(const fs::path& path, std::uint64_t size)
{
  std::ifstream in(path, std::ios::binary);
  std::array<char, 65536> block{};
  std::uint64_t end = size;
  while (end > 0) {
    const std::uint64_t start = end > block.size() ? end - block.size() : 0;
    in.seekg(static_cast<std::streamoff>(start));
    in.read(block.data(), static_cast<std::streamsize>(end - start));
    for (std::uint64_t i = end - start; i > 0; --i) {
      if (block[i - 1] == '\n') {
        return start + i;
      }
    }
    end = start;
  }
  return 0;
}

struct Stored
{
  nlohmann::json entry;
  std::uint64_t bytes = 0;
};

// Stores one planned file; returns its manifest entry, or nothing when it vanished.
std::optional<Stored> store(archive::Writer& writer, const PlannedFile& file,
                            const fs::path& staging, std::vector<std::string>& warnings)
{
  nlohmann::json entry = {{"path", file.path}, {"type", to_string(file.kind)},
                          {"mode", file.mode},  {"uid", file.uid},
                          {"gid", file.gid},    {"mtime_ns", file.mtime_ns}};
  if (file.kind == Kind::directory) {
    writer.add_directory(entry_of(file, 0));
    return Stored{entry, 0};
  }
  if (file.kind == Kind::symlink) {
    writer.add_symlink(entry_of(file, 0));
    entry["target"] = file.link_target;
    return Stored{entry, 0};
  }
  util::Sha256 sha;
  const auto observe = [&](std::string_view block) { sha.update(block); };
  std::uint64_t size = 0;
  if (file.kind == Kind::sqlite) {
    const fs::path copy = staging / (util::sha256_hex(file.path).substr(0, 16) + ".db");
    copy_sqlite(file.source, copy);
    size = fs::file_size(copy);
    writer.add_file(entry_of(file, size), copy, observe);
    fs::remove(copy);
    entry["note"] = "copied with SQLite's online backup API";
  } else if (file.kind == Kind::jsonl) {
    const Stamp now = stamp(file.source);
    if (!now.exists) {
      warnings.push_back(fmt::format("{}: vanished before it was read", file.path));
      return std::nullopt;
    }
    size = complete_lines(file.source, now.size);
    writer.add_file(entry_of(file, size), file.source, observe);
    if (size < now.size) {
      entry["note"] = fmt::format("cut at its last complete line ({} bytes of a partial line left)",
                                  now.size - size);
    }
  } else if (file.size <= k_in_memory) {
    std::optional<std::string> content;
    bool steady = false;
    for (int attempt = 0; attempt < k_retries && !steady; ++attempt) {
      const Stamp before = stamp(file.source);
      content = read_whole(file.source);
      if (!before.exists || !content) {
        warnings.push_back(fmt::format("{}: vanished before it was read", file.path));
        return std::nullopt;
      }
      steady = stamp(file.source) == before && content->size() == before.size;
    }
    if (!steady) {
      warnings.push_back(fmt::format("{}: changed while being read, {} times; stored as last read",
                                     file.path, k_retries));
      entry["note"] = "changed while being read";
    }
    size = content->size();
    sha.update(*content);
    writer.add_data(entry_of(file, size), *content);
  } else {
    const Stamp before = stamp(file.source);
    size = before.size;
    writer.add_file(entry_of(file, size), file.source, observe);
    if (!(stamp(file.source) == before)) {
      warnings.push_back(fmt::format("{}: changed while being read (large file, stored as read)",
                                     file.path));
      entry["note"] = "changed while being read";
    }
  }
  entry["size"] = size;
  entry["sha256"] = sha.hex();
  return Stored{entry, size};
}

std::string file_sha256(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  util::Sha256 sha;
  std::vector<char> block(1u << 20u);
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    sha.update(std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
  }
  return sha.hex();
}

void check_space(const Repository& repository, const Plan& plan)
{
  struct statvfs vfs{};
  if (::statvfs(repository.root().c_str(), &vfs) != 0) {
    return;
  }
  const std::uint64_t free = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  // Worst case: nothing compresses. zstd's framing and tar headers stay far below 1% + 1 MiB.
  const std::uint64_t needed = plan.bytes + plan.bytes / 100 + (1u << 20u) + plan.files.size() * 1024;
  if (free < needed) {
    throw Error(Errc::failed,
                fmt::format("not enough free space in {}: {} free, up to {} needed", repository.root().string(),
                            util::format_size(free), util::format_size(needed)),
                "free space there (old snapshots are <id>.tar.zst with <id>.json in its "
                "snapshots/ folder), or use another --repo");
  }
}

} // namespace

CreateResult create_snapshot(const CreateOptions& options)
{
  const auto start = Clock::now();
  CreateResult result;
  result.plan = make_plan(options.roots, options.selection);
  if (options.dry_run) {
    result.seconds = seconds_since(start);
    return result;
  }
  const Repository repository = Repository::open_or_create(options.repository);
  const Lock lock = repository.lock(Deadline::after(options.lock_wait));
  result.cleaned = repository.clean_orphans();
  // Plan again under the lock: the first plan may be stale after a long wait.
  result.plan = make_plan(options.roots, options.selection);
  check_space(repository, result.plan);

  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::int64_t time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  const std::string id = new_id(options.host, time_ns);
  const fs::path archive_path = repository.archive_path(id);
  const fs::path partial = archive_path.string() + ".partial";
  const fs::path staging = repository.root() / "snapshots" / (id + ".staging.partial");
  nlohmann::json files = nlohmann::json::array();
  std::uint64_t bytes = 0;
  try {
    fs::create_directories(staging);
    archive::Writer writer(partial, archive::WriterOptions{options.zstd_level, 0});
    for (const PlannedFile& file : result.plan.files) {
      if (auto stored = store(writer, file, staging, result.warnings)) {
        bytes += stored->bytes;
        files.push_back(std::move(stored->entry));
      }
    }
    nlohmann::json inner = {{"format", "cell0ctl-snapshot"}, {"version", 1}, {"id", id},
                            {"time", rfc3339(time_ns)},   {"files", files}};
    const std::string inner_text = inner.dump(1) + "\n";
    archive::Entry manifest_entry;
    manifest_entry.path = "cell0ctl-manifest.json";
    manifest_entry.mode = 0600;
    manifest_entry.mtime_sec = time_ns / 1'000'000'000;
    manifest_entry.size = inner_text.size();
    writer.add_data(manifest_entry, inner_text);
    writer.finish();
    sync_path(partial);
    fs::rename(partial, archive_path);
    sync_path(archive_path.parent_path());
    fs::remove_all(staging);
  } catch (...) {
    std::error_code ec;
    fs::remove(partial, ec);
    fs::remove_all(staging, ec);
    throw;
  }
  nlohmann::json manifest = {
      {"format", "cell0ctl-snapshot"},
      {"version", 1},
      {"id", id},
      {"time", rfc3339(time_ns)},
      {"time_ns", time_ns},
      {"kind", "full"},
      {"parent", ""},
      {"host", options.host},
      {"cell0ctl", CELL0CTL_VERSION},
      {"archive", {{"name", archive_path.filename().string()},
                   {"size", fs::file_size(archive_path)},
                   {"sha256", file_sha256(archive_path)},
                   {"format", "pax+zstd"}}},
      {"totals", {{"files", files.size()}, {"bytes", bytes}}},
      {"ollama_models", options.ollama_models},
      {"warnings", result.warnings},
      {"files", std::move(files)},
  };
  const std::string text = manifest.dump(1) + "\n";
  try {
    write_file_atomically(repository.manifest_path(id), text); // the commit record
  } catch (...) {
    std::error_code ec;
    fs::remove(archive_path, ec);
    throw;
  }
  result.snapshot = snapshot_info(manifest, fs::file_size(archive_path) + text.size());
  result.seconds = seconds_since(start);
  return result;
}

VerifyResult verify_snapshot(const Repository& repository, const std::string& id)
{
  const auto start = Clock::now();
  VerifyResult result;
  result.id = id;
  const nlohmann::json manifest = repository.read_manifest(id);
  const fs::path archive_path = repository.archive_path(id);
  std::error_code ec;
  if (!fs::exists(archive_path, ec)) {
    result.problems.push_back(fmt::format("{}: the archive is missing", archive_path.string()));
    return result;
  }
  const std::string expected_archive = manifest["archive"].value("sha256", "");
  if (file_sha256(archive_path) != expected_archive) {
    result.problems.push_back(fmt::format("{}: SHA-256 differs from the manifest's",
                                          archive_path.filename().string()));
  }
  std::map<std::string, std::string> expected;
  for (const auto& file : manifest["files"]) {
    if (file.contains("sha256")) {
      expected[file["path"].get<std::string>()] = file["sha256"].get<std::string>();
    }
  }
  try {
    archive::read(archive_path, [&](const archive::Entry& entry,
                                    const std::function<bool(std::string_view&)>& next_block) {
      if (entry.type != archive::Entry::Type::file) {
        return;
      }
      util::Sha256 sha;
      std::string_view block;
      while (next_block(block)) {
        sha.update(block);
        result.bytes += block.size();
      }
      const auto it = expected.find(entry.path);
      if (it == expected.end()) {
        if (entry.path != "cell0ctl-manifest.json") {
          result.problems.push_back(fmt::format("{}: in the archive but not in the manifest", entry.path));
        }
        return;
      }
      if (sha.hex() != it->second) {
        result.problems.push_back(fmt::format("{}: content differs from the manifest", entry.path));
      }
      ++result.files;
      expected.erase(it);
    });
  } catch (const Error& e) {
    result.problems.push_back(fmt::format("{}: {}", archive_path.filename().string(), e.what()));
  }
  for (const auto& [path, sha] : expected) {
    result.problems.push_back(fmt::format("{}: in the manifest but missing from the archive", path));
  }
  result.seconds = seconds_since(start);
  return result;
}

namespace {

// Checks the extracted files below `root` against the manifest; returns the problems.
std::vector<std::string> check_extracted(const nlohmann::json& manifest, const fs::path& root,
                                         const std::vector<std::string>& only_paths,
                                         std::uint64_t& files, std::uint64_t& bytes)
{
  std::vector<std::string> problems;
  for (const auto& file : manifest["files"]) {
    if (!file.contains("sha256")) {
      continue;
    }
    const std::string path = file["path"].get<std::string>();
    const bool wanted = only_paths.empty()
                        || std::any_of(only_paths.begin(), only_paths.end(), [&](const std::string& o) {
                             return path == o || path.rfind(o + "/", 0) == 0;
                           });
    if (!wanted) {
      continue;
    }
    const fs::path on_disk = root / path;
    std::error_code ec;
    if (!fs::is_regular_file(on_disk, ec)) {
      problems.push_back(fmt::format("{}: not restored", path));
    } else if (file_sha256(on_disk) != file["sha256"].get<std::string>()) {
      problems.push_back(fmt::format("{}: restored content differs from the manifest", path));
    } else {
      ++files;
      bytes += fs::file_size(on_disk, ec);
    }
  }
  return problems;
}

std::string time_suffix()
{
  return fmt::format("{:%Y%m%dT%H%M%SZ}", fmt::gmtime(std::time(nullptr)));
}

} // namespace

RestoreResult restore_snapshot(const RestoreOptions& options)
{
  const auto start = Clock::now();
  RestoreResult result;
  const Repository repository = Repository::open(options.repository);
  const Lock lock = repository.lock(Deadline::after(options.lock_wait));
  result.id = repository.resolve(options.snapshot);
  const nlohmann::json manifest = repository.read_manifest(result.id);

  std::vector<std::string> only_paths;
  for (const std::string& path : options.only) {
    only_paths.push_back(options.to.empty() ? "cell0/" + path : path);
  }
  const bool whole_layout = !options.to.empty();
  const fs::path destination = whole_layout ? options.to : options.target;
  if (destination.empty()) {
    throw Error(Errc::usage, "restore needs a target", "give --to DIR");
  }
  const fs::path parent = fs::absolute(destination).parent_path();
  result.target = destination;
  if (options.dry_run) {
    for (const auto& file : manifest["files"]) {
      const std::string path = file["path"].get<std::string>();
      const bool in_scope = whole_layout ? true : path == "cell0" || path.rfind("cell0/", 0) == 0;
      const bool wanted = only_paths.empty() || std::any_of(only_paths.begin(), only_paths.end(),
                                                            [&](const std::string& o) {
                                                              return path == o || path.rfind(o + "/", 0) == 0;
                                                            });
      if (in_scope && wanted && file.contains("size")) {
        ++result.files;
        result.bytes += file["size"].get<std::uint64_t>();
      }
    }
    result.seconds = seconds_since(start);
    return result;
  }
  std::error_code ec;
  if (whole_layout && fs::exists(destination, ec) && !fs::is_empty(destination, ec)) {
    throw Error(Errc::usage, fmt::format("--to {} is not empty", destination.string()),
                "give a new or empty folder");
  }
  fs::create_directories(parent, ec);
  // A name of this run's own: a folder left by a killed restore may hold a swapped-out home,
  // so it is never reused or removed here.
  const fs::path staging = parent / fmt::format(".{}.restore-{}-{}-{}.partial",
                                                destination.filename().string(), result.id,
                                                time_suffix(), ::getpid());
  fs::create_directories(staging);
  bool swapped = false;
  try {
    std::vector<std::string> selection = only_paths;
    if (!whole_layout && selection.empty()) {
      selection.push_back("cell0");
    }
    const archive::ExtractResult extracted =
        archive::extract(repository.archive_path(result.id), staging, selection, false);
    result.refused = extracted.refused;
    if (!options.only.empty() && extracted.files == 0) {
      throw Error(Errc::usage,
                  fmt::format("no file of snapshot {} matches --only {}", result.id,
                              util::join(options.only, ", ")),
                  whole_layout ? "with --to, paths start with the snapshot's folder: cell0/..."
                               : "paths are relative to the Cell 0 home, e.g. runtime/goals.json");
    }
    const auto problems = check_extracted(manifest, staging, selection, result.files, result.bytes);
    if (!problems.empty()) {
      throw Error(Errc::failed,
                  fmt::format("snapshot {} did not restore faithfully: {}", result.id,
                              util::join(problems, "; ")),
                  "verify the repository: cell0ctl backup verify " + result.id);
    }
    if (whole_layout) {
      fs::remove(staging / "cell0ctl-manifest.json", ec);
      if (fs::exists(destination)) {
        fs::remove(destination);
      }
      fs::rename(staging, destination);
    } else if (!options.only.empty()) {
      // Single files: each replaced with one rename, the old kept beside it.
      for (const std::string& path : options.only) {
        const fs::path from = staging / "cell0" / path;
        const fs::path to = destination / path;
        if (!fs::exists(from, ec)) {
          continue;
        }
        fs::create_directories(to.parent_path());
        if (fs::exists(to, ec)) {
          fs::rename(to, to.string() + ".pre-restore-" + time_suffix());
        }
        fs::rename(from, to);
      }
      fs::remove_all(staging);
    } else {
      const fs::path restored = staging / "cell0";
      if (fs::exists(destination, ec)) {
        // One atomic exchange: Cell 0 sees the old home or the new one, never a mix.
        if (::renameat2(AT_FDCWD, restored.c_str(), AT_FDCWD, destination.c_str(),
                        RENAME_EXCHANGE)
            != 0) {
          throw Error(Errc::failed, fmt::format("cannot swap {} in: {}", destination.string(),
                                                std::strerror(errno)));
        }
        swapped = true;
        // Two restores in one second must not meet: the name gets a number when taken.
        const std::string base = fmt::format("{}.pre-restore-{}", destination.filename().string(),
                                             time_suffix());
        result.previous = parent / base;
        for (int n = 2; fs::exists(result.previous, ec); ++n) {
          result.previous = parent / fmt::format("{}-{}", base, n);
        }
        fs::rename(restored, result.previous);
      } else {
        fs::rename(restored, destination);
      }
      fs::remove_all(staging);
    }
    sync_path(parent);
  } catch (const Error& e) {
    if (swapped) {
      // The replaced home is in the staging folder: never remove it.
      throw Error(e.code(), e.what(),
                  fmt::format("the home that was replaced is kept in {}", (staging / "cell0").string()));
    }
    fs::remove_all(staging, ec);
    throw;
  } catch (const std::exception& e) {
    if (swapped) {
      throw Error(Errc::failed, e.what(),
                  fmt::format("the home that was replaced is kept in {}", (staging / "cell0").string()));
    }
    fs::remove_all(staging, ec);
    throw;
  }
  result.seconds = seconds_since(start);
  return result;
}

} // namespace cell0ctl::backup
