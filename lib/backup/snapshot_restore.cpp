// SPDX-License-Identifier: GPL-3.0-or-later
// Restoring a snapshot: its chain (full, then each differential or incremental step) into a
// staging folder, checked file by file against the manifest, then swapped in atomically.
#include "lib/backup/snapshot.hpp"

#include "lib/archive/archive.hpp"
#include "lib/backup/delta.hpp"
#include "lib/backup/snapshot_format.hpp"
#include "lib/core/error.hpp"
#include "lib/util/sha256.hpp"
#include "lib/util/strings.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl::backup {

namespace {

// Which snapshot paths a restore wants: everything, or what lies at or below `paths`.
struct Scope
{
  std::vector<std::string> paths;

  bool wants(const std::string& path) const
  {
    return paths.empty() || std::any_of(paths.begin(), paths.end(), [&](const std::string& p) {
             return path == p || path.rfind(p + "/", 0) == 0;
           });
  }
};

std::string time_suffix()
{
  return fmt::format("{:%Y%m%dT%H%M%SZ}", fmt::gmtime(std::time(nullptr)));
}

// Rebuilds the files of the last snapshot of `chain` in `staging`, applying each step in order.
void materialize(const Repository& repository, const std::vector<nlohmann::json>& chain,
                 const format::Keys& keys, const Scope& scope, const fs::path& staging,
                 RestoreResult& result)
{
  for (const nlohmann::json& step : chain) {
    const std::string step_id = step.value("id", "");
    std::vector<std::string> selection = scope.paths;
    const bool has_deltas = step.value("kind", "full") != "full";
    if (!selection.empty() && has_deltas) {
      for (const std::string& path : scope.paths) {
        selection.push_back(fmt::format("{}/{}", format::k_delta_folder, path));
      }
    }
    format::ArchiveInput input(repository, step, keys);
    const archive::ExtractResult extracted = archive::extract(input.input(), staging, selection, false);
    result.refused.insert(result.refused.end(), extracted.refused.begin(), extracted.refused.end());
    for (const auto& file : step["files"]) {
      const std::string path = file.value("path", "");
      const std::string stored = format::stored(file);
      if ((stored != "tail" && stored != "blocks") || !scope.wants(path)) {
        continue;
      }
      const fs::path target = staging / path;
      const fs::path delta = staging / file["delta"].get<std::string>();
      std::error_code ec;
      if (!fs::is_regular_file(target, ec) || !fs::is_regular_file(delta, ec)) {
        throw Error(Errc::failed,
                    fmt::format("snapshot {}: {} changes {}, which the snapshots before it do not "
                                "restore",
                                step_id, file["delta"].get<std::string>(), path),
                    "verify the chain: cell0ctl backup verify " + step_id);
      }
      if (stored == "tail") {
        apply_tail(target, file["tail_from"].get<std::uint64_t>(), delta);
      } else {
        apply_blocks(target, file["size"].get<std::uint64_t>(), format::runs_of(file), delta);
      }
    }
    std::error_code ec;
    fs::remove_all(staging / format::k_delta_folder, ec);
    fs::remove(staging / format::k_inner_manifest, ec);
  }
}

// Removes what the last snapshot no longer has, and sets modes, owners and mtimes as it
// records them (a file unchanged in content may have a new mode).
void settle(const nlohmann::json& manifest, const Scope& scope, const fs::path& staging)
{
  std::set<std::string> keep;
  for (const auto& file : manifest["files"]) {
    std::string path = file.value("path", "");
    if (!scope.wants(path)) {
      continue;
    }
    keep.insert(path);
    for (auto slash = path.rfind('/'); slash != std::string::npos; slash = path.rfind('/')) {
      path.resize(slash);
      keep.insert(path);
    }
  }
  std::vector<fs::path> gone;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(staging, ec); !ec && it != fs::recursive_directory_iterator();
       it.increment(ec)) {
    const std::string relative = it->path().lexically_relative(staging).generic_string();
    if (!keep.count(relative)) {
      gone.push_back(it->path());
      it.disable_recursion_pending();
    }
  }
  for (const fs::path& path : gone) {
    fs::remove_all(path, ec);
  }
  const bool as_root = ::geteuid() == 0;
  // Folders last and deepest first, so that their mtimes are not disturbed afterwards.
  std::vector<const nlohmann::json*> folders;
  for (const auto& file : manifest["files"]) {
    const std::string path = file.value("path", "");
    if (!scope.wants(path)) {
      continue;
    }
    if (file.value("type", "") == "directory") {
      folders.push_back(&file);
      continue;
    }
    const fs::path on_disk = staging / path;
    const bool symlink = file.value("type", "") == "symlink";
    if (as_root) {
      ::lchown(on_disk.c_str(), file.value("uid", 0u), file.value("gid", 0u));
    }
    if (!symlink) {
      ::chmod(on_disk.c_str(), file.value("mode", 0600u) & 07777u);
    }
    const std::int64_t mtime = file.value("mtime_ns", std::int64_t{0});
    const struct timespec times[2] = {{0, UTIME_OMIT},
                                      {static_cast<time_t>(mtime / 1'000'000'000), mtime % 1'000'000'000}};
    ::utimensat(AT_FDCWD, on_disk.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
  std::sort(folders.begin(), folders.end(), [](const nlohmann::json* a, const nlohmann::json* b) {
    return (*a)["path"].get<std::string>() > (*b)["path"].get<std::string>();
  });
  for (const nlohmann::json* folder : folders) {
    const fs::path on_disk = staging / (*folder)["path"].get<std::string>();
    if (as_root) {
      ::lchown(on_disk.c_str(), folder->value("uid", 0u), folder->value("gid", 0u));
    }
    ::chmod(on_disk.c_str(), folder->value("mode", 0700u) & 07777u);
    const std::int64_t mtime = folder->value("mtime_ns", std::int64_t{0});
    const struct timespec times[2] = {{0, UTIME_OMIT},
                                      {static_cast<time_t>(mtime / 1'000'000'000), mtime % 1'000'000'000}};
    ::utimensat(AT_FDCWD, on_disk.c_str(), times, 0);
  }
}

// Checks the restored files below `root` against the manifest; returns the problems.
std::vector<std::string> check_restored(const nlohmann::json& manifest, const fs::path& root,
                                        const Scope& scope, std::uint64_t& files, std::uint64_t& bytes)
{
  std::vector<std::string> problems;
  for (const auto& file : manifest["files"]) {
    if (!format::has_content(file)) {
      continue;
    }
    const std::string path = file["path"].get<std::string>();
    if (!scope.wants(path)) {
      continue;
    }
    const fs::path on_disk = root / path;
    std::error_code ec;
    if (!fs::is_regular_file(on_disk, ec)) {
      problems.push_back(fmt::format("{}: not restored", path));
    } else if (util::file_sha256(on_disk) != file["sha256"].get<std::string>()) {
      problems.push_back(fmt::format("{}: restored content differs from the manifest", path));
    } else {
      ++files;
      bytes += fs::file_size(on_disk, ec);
    }
  }
  return problems;
}

} // namespace

RestoreResult restore_snapshot(const RestoreOptions& options)
{
  const auto start = std::chrono::steady_clock::now();
  RestoreResult result;
  const Repository repository = Repository::open(options.repository);
  const Lock lock = options.lock_held ? Lock() : repository.lock(Deadline::after(options.lock_wait));
  result.id = options.at_ns ? repository.resolve_at(*options.at_ns) : repository.resolve(options.snapshot);
  const format::Keys keys = format::load_keys(options.age_identity_files, options.cache_dir);
  const std::vector<nlohmann::json> chain = format::chain(repository, result.id, keys);
  const nlohmann::json& manifest = chain.back();
  result.manifest_files = manifest["files"];
  result.chain.reserve(chain.size());
  for (const auto& step : chain) {
    result.chain.push_back(step.value("id", ""));
  }

  const bool whole_layout = !options.to.empty();
  Scope scope;
  for (const std::string& path : options.only) {
    scope.paths.push_back(whole_layout ? path : "cell0/" + path);
  }
  if (!whole_layout && scope.paths.empty()) {
    scope.paths.push_back("cell0");
  }
  const fs::path destination = whole_layout ? options.to : options.target;
  if (destination.empty()) {
    throw Error(Errc::usage, "restore needs a target", "give --to DIR");
  }
  if (!options.only.empty()
      && std::none_of(manifest["files"].begin(), manifest["files"].end(),
                      [&](const nlohmann::json& file) { return scope.wants(file.value("path", "")); })) {
    throw Error(Errc::usage,
                fmt::format("no file of snapshot {} matches --only {}", result.id,
                            util::join(options.only, ", ")),
                whole_layout ? "with --to, paths start with the snapshot's folder: cell0/..."
                             : "paths are relative to the Cell 0 home, e.g. runtime/goals.json");
  }
  const fs::path parent = fs::absolute(destination).parent_path();
  result.target = destination;
  if (options.dry_run) {
    for (const auto& file : manifest["files"]) {
      if (scope.wants(file.value("path", "")) && format::has_content(file)) {
        ++result.files;
        result.bytes += file["size"].get<std::uint64_t>();
      }
    }
    result.seconds = format::seconds_since(start);
    return result;
  }
  for (const nlohmann::json& step : chain) {
    if (!fs::exists(format::archive_of(repository, step))) {
      throw Error(Errc::failed,
                  fmt::format("snapshot {} needs the archive of {}, which is missing", result.id,
                              step.value("id", "")),
                  "restore another snapshot (`cell0ctl backup list`)");
    }
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
    materialize(repository, chain, keys, scope, staging, result);
    settle(manifest, scope, staging);
    const auto problems = check_restored(manifest, staging, scope, result.files, result.bytes);
    if (!problems.empty()) {
      throw Error(Errc::failed,
                  fmt::format("snapshot {} did not restore faithfully: {}", result.id,
                              util::join(problems, "; ")),
                  "verify the repository: cell0ctl backup verify " + result.id);
    }
    if (whole_layout) {
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
  result.seconds = format::seconds_since(start);
  return result;
}

} // namespace cell0ctl::backup
