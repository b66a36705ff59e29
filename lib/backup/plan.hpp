// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What a backup stores: Cell 0's state found on disk, minus what can be rebuilt.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace cell0ctl::backup {

// A folder whose contents are stored under `name/` in a snapshot ("cell0/cell0.json").
struct SourceRoot
{
  std::string name;           // "cell0", "signal-cli", "audit"
  std::filesystem::path path; // on this host
  std::vector<std::string> only; // when set: only these names directly below `path`
};

enum class Kind { regular, sqlite, jsonl, directory, symlink };

std::string_view to_string(Kind kind);

struct PlannedFile
{
  std::filesystem::path source; // on this host
  std::string path;             // in the snapshot: "cell0/runtime/goals.json"
  Kind kind = Kind::regular;
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::uint32_t mode = 0;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string link_target;
};

struct Plan
{
  std::vector<PlannedFile> files; // sorted by path
  std::uint64_t bytes = 0;        // of regular content
  std::vector<std::string> excluded; // snapshot paths left out by a pattern (folders not entered)
  std::vector<std::string> skipped;  // "path: why" for what cannot be stored (sockets, unreadable)
};

// Patterns are fnmatch(3) globs: one without '/' matches any file or folder name ("*.pyc",
// "node_modules"); one with '/' matches a snapshot path and everything below it
// ("cell0/runtime/sessions").
struct Selection
{
  std::vector<std::string> include; // when set, only paths matching one of these
  std::vector<std::string> exclude; // added to k_default_excludes
};

// What is never worth storing: virtualenvs, caches, node_modules, SQLite's side files (the
// databases are copied whole with the online backup API), partial files.
extern const std::vector<std::string> k_default_excludes;

// Cell 0's state: the home; signal-cli's data folder; the audit log and database cell0d writes
// in logs/ of its working directory (the checkout). Roots that do not exist are left out.
std::vector<SourceRoot> cell0_sources(const std::filesystem::path& home,
                                      const std::filesystem::path& user_home,
                                      const std::filesystem::path& checkout);

// Walks `roots` (not following symlinks) and lists what a snapshot stores.
Plan make_plan(const std::vector<SourceRoot>& roots, const Selection& selection);

// Whether snapshot path `path` matches glob `pattern` as Selection describes.
bool matches(const std::string& pattern, const std::string& path);

} // namespace cell0ctl::backup
