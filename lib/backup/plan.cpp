// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/plan.hpp"

#include "lib/backup/sqlite_copy.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>

#include <fnmatch.h>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace cell0ctl::backup {

const std::vector<std::string> k_default_excludes = {
    ".venv", "venv", "node_modules", "__pycache__", "*.pyc", "mlx_cache", "search_cache",
    "*-wal", "*-shm", "*-journal", "*.partial", "*.tmp",
};

std::string_view to_string(Kind kind)
{
  switch (kind) {
  case Kind::regular:
    return "file";
  case Kind::sqlite:
    return "sqlite";
  case Kind::jsonl:
    return "jsonl";
  case Kind::directory:
    return "dir";
  case Kind::symlink:
    return "symlink";
  }
  return "file";
}

bool matches(const std::string& pattern, const std::string& path)
{
  if (pattern.find('/') != std::string::npos) {
    return ::fnmatch(pattern.c_str(), path.c_str(), FNM_PATHNAME | FNM_LEADING_DIR) == 0;
  }
  for (const std::string_view part : util::split(path, '/')) {
    if (::fnmatch(pattern.c_str(), std::string(part).c_str(), 0) == 0) {
      return true;
    }
  }
  return false;
}

std::vector<SourceRoot> cell0_sources(const fs::path& home,
                                      const fs::path& user_home,
                                      const fs::path& checkout)
{
  std::vector<SourceRoot> roots;
  std::error_code ec;
  roots.push_back({"cell0", home, {}});
  const fs::path signal = user_home / ".local/share/signal-cli";
  if (!user_home.empty() && fs::is_directory(signal, ec)) {
    roots.push_back({"signal-cli", signal, {}});
  }
  // cell0d writes its audit log and database relative to its working directory.
  if (!checkout.empty() && fs::is_directory(checkout / "logs", ec)) {
    roots.push_back({"audit", checkout / "logs", {"audit.db", "audit.log"}});
  }
  return roots;
}

namespace {

Kind kind_of(const fs::path& path, const struct stat& st)
{
  if (S_ISDIR(st.st_mode)) {
    return Kind::directory;
  }
  if (S_ISLNK(st.st_mode)) {
    return Kind::symlink;
  }
  const std::string extension = path.extension().string();
  if (extension == ".jsonl" || extension == ".log") {
    return Kind::jsonl; // appended to line by line: stored up to the last complete line
  }
  return is_sqlite(path) ? Kind::sqlite : Kind::regular;
}

bool selected(const Selection& selection, const std::string& path, bool directory)
{
  if (selection.include.empty()) {
    return true;
  }
  return std::any_of(selection.include.begin(), selection.include.end(), [&](const std::string& p) {
    // A folder is entered when an include could match something below it.
    return matches(p, path) || (directory && p.rfind(path + "/", 0) == 0);
  });
}

void walk(const SourceRoot& root, const Selection& selection, Plan& plan)
{
  std::error_code ec;
  // The root itself, so that a restore gives it back its mode (the home is 0700).
  if (struct stat st{}; ::lstat(root.path.c_str(), &st) == 0) {
    PlannedFile top;
    top.source = root.path;
    top.path = root.name;
    top.kind = Kind::directory;
    top.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    top.mode = st.st_mode & 07777;
    top.uid = st.st_uid;
    top.gid = st.st_gid;
    plan.files.push_back(std::move(top));
  }
  fs::recursive_directory_iterator it(root.path, fs::directory_options::none, ec);
  if (ec) {
    plan.skipped.push_back(fmt::format("{}: {}", root.path.string(), ec.message()));
    return;
  }
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) {
      plan.skipped.push_back(fmt::format("{}: {}", it->path().string(), ec.message()));
      ec.clear();
      continue;
    }
    const fs::path relative = it->path().lexically_relative(root.path);
    if (!root.only.empty() && it.depth() == 0) {
      const std::string name = relative.string();
      const bool wanted = std::any_of(root.only.begin(), root.only.end(), [&](const std::string& o) {
        return name == o || name.rfind(o + ".", 0) == 0; // audit.log and its rotations
      });
      if (!wanted) {
        if (it->is_directory(ec)) {
          it.disable_recursion_pending();
        }
        continue;
      }
    }
    const std::string path = root.name + "/" + relative.generic_string();
    struct stat st{};
    if (::lstat(it->path().c_str(), &st) != 0) {
      plan.skipped.push_back(fmt::format("{}: vanished", path));
      continue;
    }
    const bool directory = S_ISDIR(st.st_mode);
    const auto excluded_by = [&](const std::vector<std::string>& patterns) {
      return std::any_of(patterns.begin(), patterns.end(), [&](const std::string& p) {
        return matches(p, path);
      });
    };
    if (excluded_by(k_default_excludes) || excluded_by(selection.exclude)
        || !selected(selection, path, directory)) {
      plan.excluded.push_back(path);
      if (directory) {
        it.disable_recursion_pending();
      }
      continue;
    }
    if (!directory && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
      plan.skipped.push_back(fmt::format("{}: not a file, folder or symlink", path));
      continue;
    }
    PlannedFile file;
    file.source = it->path();
    file.path = path;
    file.kind = kind_of(it->path(), st);
    file.size = S_ISREG(st.st_mode) ? static_cast<std::uint64_t>(st.st_size) : 0;
    file.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
    file.mode = st.st_mode & 07777;
    file.uid = st.st_uid;
    file.gid = st.st_gid;
    if (file.kind == Kind::symlink) {
      file.link_target = fs::read_symlink(it->path(), ec).string();
    }
    plan.bytes += file.size;
    plan.files.push_back(std::move(file));
  }
}

} // namespace

Plan make_plan(const std::vector<SourceRoot>& roots, const Selection& selection)
{
  Plan plan;
  for (const SourceRoot& root : roots) {
    std::error_code ec;
    if (fs::is_directory(root.path, ec)) {
      walk(root, selection, plan);
    }
  }
  std::sort(plan.files.begin(), plan.files.end(), [](const PlannedFile& a, const PlannedFile& b) {
    return a.path < b.path;
  });
  return plan;
}

} // namespace cell0ctl::backup
