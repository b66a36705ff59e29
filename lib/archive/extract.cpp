// SPDX-License-Identifier: GPL-3.0-or-later
// archive::extract(): libarchive's disk writer, behind cell0ctl's own checks.
#include "lib/archive/archive.hpp"
#include "lib/archive/common.hpp"
#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_set>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>

// 3.6.0 stopped the end-of-extraction fixups of folder modes and times from following a symlink
// that replaced the folder meanwhile (CVE-2021-31566); the hostile tests check it.
static_assert(ARCHIVE_VERSION_NUMBER >= 3006000, "libarchive 3.6 or later is required");

namespace fs = std::filesystem;

namespace cell0ctl::archive {

using namespace detail;

namespace {

// libarchive's disk writer works relative to the working directory, and its secure flags refuse
// absolute paths: so extraction runs inside `target`, and this puts the old directory back.
class WorkingDirectory
{
public:
  explicit WorkingDirectory(const fs::path& dir)
      : m_saved(::open(".", O_PATH | O_DIRECTORY | O_CLOEXEC))
  {
    if (m_saved.get() < 0 || ::chdir(dir.c_str()) != 0) {
      throw Error(Errc::failed,
                  fmt::format("cannot restore into {}: {}", dir.string(), std::strerror(errno)));
    }
  }
  ~WorkingDirectory()
  {
    // Nothing sensible is left to do if the old directory is gone.
    [[maybe_unused]] const int status = ::fchdir(m_saved.get());
  }
  WorkingDirectory(const WorkingDirectory&) = delete;
  WorkingDirectory& operator=(const WorkingDirectory&) = delete;

private:
  UniqueFd m_saved;
};

// One call of extract(): the checks of cell0ctl's own, on top of libarchive's.
class Extraction
{
public:
  Extraction(const fs::path& target, const std::vector<std::string>& only, bool keep_owner)
      : m_target(target), m_only(selection(only))
  {
    int flags = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_SECURE_NODOTDOT
                | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;
    const bool owners = keep_owner && ::geteuid() == 0;
    if (owners) {
      flags |= ARCHIVE_EXTRACT_OWNER;
    }
    m_disk.reset(archive_write_disk_new());
    if (!m_disk || archive_write_disk_set_options(m_disk.get(), flags) != ARCHIVE_OK) {
      throw Error(Errc::failed, "cannot restore: libarchive's disk writer is unavailable");
    }
    if (owners) {
      archive_write_disk_set_standard_lookup(m_disk.get());
    }
  }

  void entry(Reader& reader, archive_entry* header)
  {
    const char* name = pathname_of(header);
    const std::string raw = name != nullptr ? name : "";
    const CleanPath clean = clean_path(raw);
    if (clean.problem == PathProblem::empty) {
      return; // the archive's root, "./": the target itself
    }
    if (clean.problem != PathProblem::none) {
      return refuse(raw, problem_text(clean.problem));
    }
    if (!selected(clean.path, archive_entry_filetype(header) == AE_IFDIR)) {
      return;
    }
    if (const std::string why = unsafe(header, clean.path); !why.empty()) {
      return refuse(raw, why);
    }
    archive_entry_copy_pathname(header, clean.path.c_str());
    write(reader, header, raw, clean.path);
  }

  ExtractResult finish()
  {
    if (archive_write_close(m_disk.get()) < ARCHIVE_WARN) { // modes and times of folders
      throw Error(
          Errc::failed,
          fmt::format("cannot restore into {}: {}", m_target.string(), message_of(m_disk.get())));
    }
    return std::move(m_result);
  }

private:
  static std::vector<std::string> selection(const std::vector<std::string>& only)
  {
    std::vector<std::string> out;
    for (const std::string& item : only) {
      const CleanPath clean = clean_path(item);
      if (clean.problem == PathProblem::absolute || clean.problem == PathProblem::dot_dot) {
        throw Error(Errc::usage,
                    fmt::format("cannot select '{}': {}", item, problem_text(clean.problem)),
                    "name paths relative to the snapshot's root, such as 'etc/cell0.json'");
      }
      if (clean.problem == PathProblem::empty) {
        return {}; // the root: everything
      }
      out.push_back(clean.path);
    }
    return out;
  }

  // Whether `path` is selected: it is one of `m_only` or below one; a folder above one is too,
  // for its mode (think of ~/.ssh).
  bool selected(const std::string& path, bool directory) const
  {
    if (m_only.empty()) {
      return true;
    }
    return std::ranges::any_of(m_only, [&](const std::string& wanted) {
      const auto below = [](const std::string& inner, const std::string& outer) {
        return inner.size() > outer.size() && inner.starts_with(outer)
               && inner[outer.size()] == '/';
      };
      return path == wanted || below(path, wanted) || (directory && below(wanted, path));
    });
  }

  // Why `header` (at the clean `path`) must not be written, or empty when it may.
  std::string unsafe(archive_entry* header, const std::string& path) const
  {
    const char* link = archive_entry_hardlink(header);
    const unsigned type = archive_entry_filetype(header);
    if (link == nullptr && type != AE_IFREG && type != AE_IFDIR && type != AE_IFLNK) {
      return fmt::format("{}, not restored", type_name(type));
    }
    // A sparse file may declare any size (1 TiB in a few bytes): the next backup would read it
    // all. cell0ctl never writes one.
    if (archive_entry_sparse_count(header) > 0) {
      return "sparse file, not restored";
    }
    if (link != nullptr) {
      if (std::string why = unsafe_hardlink(header, link); !why.empty()) {
        return why;
      }
    }
    // libarchive checks this too (ARCHIVE_EXTRACT_SECURE_SYMLINKS); one more look is cheap.
    if (const std::string on_the_way = symlink_on_the_way(path); !on_the_way.empty()) {
      return fmt::format("cannot extract through symlink '{}'", on_the_way);
    }
    return {};
  }

  // A hard link may only name a regular file that this call extracted, still reachable without
  // a symlink: anything else could link (and with pax, write) to a file outside the target.
  std::string unsafe_hardlink(archive_entry* header, const char* link) const
  {
    const CleanPath target = clean_path(link);
    const bool ours = target.problem == PathProblem::none && m_files.contains(target.path)
                      && symlink_on_the_way(target.path).empty() && is_regular(target.path);
    if (!ours) {
      return fmt::format("hard link to '{}', not a file extracted inside the target", link);
    }
    archive_entry_copy_hardlink(header, target.path.c_str());
    return {};
  }

  // The first folder of `path` (relative to the working directory) that is a symlink, or empty.
  static std::string symlink_on_the_way(const std::string& path)
  {
    for (std::size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      const std::string parent = path.substr(0, slash);
      struct stat info = {};
      if (::lstat(parent.c_str(), &info) != 0) {
        return {}; // not there yet: libarchive creates it as a folder
      }
      if (S_ISLNK(info.st_mode)) {
        return parent;
      }
    }
    return {};
  }

  static bool is_regular(const std::string& path)
  {
    struct stat info = {};
    return ::lstat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
  }

  Error failure(const std::string& path) const
  {
    return Error(
        Errc::failed,
        fmt::format("cannot restore {}: {}", (m_target / path).string(), message_of(m_disk.get())),
        "check the free space and permissions of the target folder");
  }

  void refuse(const std::string& raw, std::string_view why)
  {
    m_result.refused.push_back(fmt::format("{}: {}", raw, why));
  }

  void write(Reader& reader, archive_entry* header, const std::string& raw, const std::string& path)
  {
    m_files.erase(path);
    const int status = archive_write_header(m_disk.get(), header);
    if (status == ARCHIVE_FATAL) {
      throw failure(path);
    }
    if (status < ARCHIVE_WARN) {
      return refuse(raw, message_of(m_disk.get()));
    }
    const bool file =
        archive_entry_hardlink(header) != nullptr || archive_entry_filetype(header) == AE_IFREG;
    if (file && archive_entry_size(header) > 0) {
      try {
        copy_content(reader, path);
      } catch (...) {
        // Freeing the disk writer finishes the entry, which extends the file to its declared
        // size (1 TiB of hole for a hostile header): unlinked first, the file goes with it.
        ::unlink(path.c_str());
        throw;
      }
    }
    const int finished = archive_write_finish_entry(m_disk.get());
    if (finished == ARCHIVE_FATAL) {
      throw failure(path);
    }
    if (finished < ARCHIVE_WARN) {
      return refuse(raw, message_of(m_disk.get()));
    }
    if (file) {
      m_files.insert(path);
      ++m_result.files;
    }
  }

  void copy_content(Reader& reader, const std::string& path)
  {
    std::string_view block;
    std::int64_t offset = 0;
    while (reader.next_block(block, offset)) {
      if (archive_write_data_block(m_disk.get(), block.data(), block.size(), offset)
          < ARCHIVE_WARN) {
        throw failure(path);
      }
      m_result.bytes += block.size();
    }
  }

  const fs::path& m_target;
  std::vector<std::string> m_only;
  WriteHandle m_disk;
  std::unordered_set<std::string> m_files; // regular files extracted: the only hard link targets
  ExtractResult m_result;
};

void require_folder(const fs::path& target)
{
  std::error_code ec;
  if (!fs::is_directory(target, ec)) {
    throw Error(Errc::failed,
                fmt::format("cannot restore into {}: not a folder", target.string()),
                "create the folder first");
  }
}

ExtractResult extract_checked(Input& input,
                              const fs::path& target,
                              const std::vector<std::string>& only,
                              bool keep_owner)
{
  const Utf8Names names;
  Reader reader(input);
  const WorkingDirectory inside(target);
  Extraction extraction(target, only, keep_owner); // after: it writes fixups

  while (archive_entry* header = reader.next_header()) {
    extraction.entry(reader, header);
  }
  return extraction.finish();
}

} // namespace

ExtractResult extract(Input& input,
                      const fs::path& target,
                      const std::vector<std::string>& only,
                      bool keep_owner)
{
  require_folder(target);
  return extract_checked(input, target, only, keep_owner);
}

ExtractResult extract(const fs::path& archive_path,
                      const fs::path& target,
                      const std::vector<std::string>& only,
                      bool keep_owner)
{
  require_folder(target);
  FileInput input(archive_path); // before chdir: the path may be relative
  return extract_checked(input, target, only, keep_owner);
}

} // namespace cell0ctl::archive
