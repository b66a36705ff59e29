// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/archive/archive.hpp"

#include "lib/core/error.hpp"

#include <archive.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <thread>
#include <unordered_set>
#include <utility>

#include <archive_entry.h>
#include <fcntl.h>
#include <locale.h>
#include <sys/stat.h>
#include <unistd.h>

// 3.6.0 stopped the end-of-extraction fixups of folder modes and times from following a symlink
// that replaced the folder meanwhile (CVE-2021-31566); the hostile tests check it.
static_assert(ARCHIVE_VERSION_NUMBER >= 3006000, "libarchive 3.6 or later is required");

namespace fs = std::filesystem;

namespace cell0ctl::archive {

namespace {

constexpr std::size_t k_block_size = std::size_t{1} << 20; // add_file's reads
constexpr int k_read_block_size = 64 * 1024;               // libarchive's reads of an archive

const char* const k_damaged_hint =
    "the archive is damaged or incomplete: use another snapshot, or copy this one again";

// --- Small RAII helpers ---

class UniqueFd
{
public:
  explicit UniqueFd(int fd = -1) : m_fd(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(UniqueFd&& other) noexcept : m_fd(std::exchange(other.m_fd, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept
  {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }

  int get() const { return m_fd; }
  // Closes the descriptor; returns the errno of close(), or 0.
  int reset()
  {
    const int fd = std::exchange(m_fd, -1);
    return fd >= 0 && ::close(fd) != 0 ? errno : 0;
  }

private:
  int m_fd;
};

struct ReadFree
{
  void operator()(::archive* handle) const { archive_read_free(handle); }
};
struct WriteFree
{
  void operator()(::archive* handle) const { archive_write_free(handle); }
};
struct EntryFree
{
  void operator()(archive_entry* entry) const { archive_entry_free(entry); }
};
using ReadHandle = std::unique_ptr<::archive, ReadFree>;
using WriteHandle = std::unique_ptr<::archive, WriteFree>;
using EntryHandle = std::unique_ptr<archive_entry, EntryFree>;

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

std::string message_of(::archive* handle)
{
  const char* text = archive_error_string(handle);
  return text != nullptr ? text : "unknown libarchive error";
}

Error damaged(const fs::path& archive_path, ::archive* reader)
{
  return Error(Errc::failed,
               fmt::format("cannot read archive {}: {}", archive_path.string(), message_of(reader)),
               k_damaged_hint);
}

// --- Paths ---

enum class PathProblem { none, empty, absolute, dot_dot };

struct CleanPath
{
  std::string path;
  PathProblem problem = PathProblem::none;
};

// Returns `raw` without "." elements, repeated and trailing '/', or the reason it cannot be
// a path relative to an extraction folder. ".." is refused rather than resolved: resolving it
// would need the symlinks on disk, which are the attacker's.
CleanPath clean_path(std::string_view raw)
{
  if (!raw.empty() && raw.front() == '/') {
    return {std::string(raw), PathProblem::absolute};
  }
  std::string out;
  std::size_t start = 0;
  while (start <= raw.size()) {
    const std::size_t end = std::min(raw.find('/', start), raw.size());
    const std::string_view element = raw.substr(start, end - start);
    if (element == "..") {
      return {std::string(raw), PathProblem::dot_dot};
    }
    if (!element.empty() && element != ".") {
      out += out.empty() ? "" : "/";
      out += element;
    }
    start = end + 1;
  }
  return {out, out.empty() ? PathProblem::empty : PathProblem::none};
}

std::string_view problem_text(PathProblem problem)
{
  switch (problem) {
  case PathProblem::none:
    break;
  case PathProblem::empty:
    return "empty path";
  case PathProblem::absolute:
    return "absolute path";
  case PathProblem::dot_dot:
    return "path contains '..'";
  }
  return "";
}

// The path of an entry to write: relative, without "." or ".." elements.
std::string checked_path(const fs::path& output, const std::string& path)
{
  const CleanPath clean = clean_path(path);
  if (clean.problem != PathProblem::none || clean.path != path) {
    const std::string_view why =
        clean.problem != PathProblem::none ? problem_text(clean.problem) : "not in normal form";
    throw Error(Errc::failed,
                fmt::format("cannot add '{}' to archive {}: {}", path, output.string(), why),
                "entries are relative paths such as 'etc/cell0.json'");
  }
  return clean.path;
}

const char* pathname_of(archive_entry* entry)
{
  const char* name = archive_entry_pathname(entry);
  return name != nullptr ? name : archive_entry_pathname_utf8(entry);
}

std::string_view type_name(unsigned type)
{
  switch (type) {
  case AE_IFCHR:
    return "a character device";
  case AE_IFBLK:
    return "a block device";
  case AE_IFIFO:
    return "a fifo";
  case AE_IFSOCK:
    return "a socket";
  default:
    return "an entry of unknown type";
  }
}

// libarchive converts names between the pax headers' UTF-8 and the charset of the current
// locale: in the C locale of cell0ctl, "café" would go in marked "hdrcharset=BINARY" (GNU tar
// warns about the keyword) and come out with a warning. While one of these lives, this thread
// uses C.UTF-8 for character types: names are bytes, stored as UTF-8 when they are UTF-8.
class Utf8Names
{
public:
  Utf8Names()
  {
    static const locale_t utf8 = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr);
    if (utf8 != nullptr) {
      m_previous = ::uselocale(utf8);
    }
  }
  ~Utf8Names()
  {
    if (m_previous != nullptr) {
      ::uselocale(m_previous);
    }
  }
  Utf8Names(const Utf8Names&) = delete;
  Utf8Names& operator=(const Utf8Names&) = delete;

private:
  locale_t m_previous = nullptr;
};

// --- Reading ---

// Opens `path` for reading tar archives only (pax, ustar, GNU): other formats are attack
// surface that snapshots do not need. The filters are those libarchive runs in-process.
ReadHandle open_reader(const fs::path& path)
{
  ReadHandle reader(archive_read_new());
  if (!reader) {
    throw Error(Errc::failed, fmt::format("cannot read archive {}: out of memory", path.string()));
  }
  archive_read_support_format_tar(reader.get());
  archive_read_support_filter_zstd(reader.get());
  archive_read_support_filter_gzip(reader.get());
  archive_read_support_filter_xz(reader.get());
  archive_read_support_filter_bzip2(reader.get());
  archive_read_support_filter_lz4(reader.get());
  if (archive_read_open_filename(reader.get(), path.c_str(), k_read_block_size) != ARCHIVE_OK) {
    throw damaged(path, reader.get());
  }
  return reader;
}

// Returns the next header, or nullptr at the end of the archive.
archive_entry* next_header(::archive* reader, const fs::path& path)
{
  archive_entry* entry = nullptr;
  const int status = archive_read_next_header(reader, &entry);
  if (status == ARCHIVE_EOF) {
    return nullptr;
  }
  if (status < ARCHIVE_WARN) { // a warning (say, a name not in this locale) is no reason to stop
    throw damaged(path, reader);
  }
  return entry;
}

// The content of the current entry, block after block (never sparse: describe() refuses those).
class Content
{
public:
  Content(::archive* reader, const fs::path& path) : m_reader(reader), m_path(path) {}

  bool next(std::string_view& block)
  {
    if (m_eof) {
      return false;
    }
    const void* data = nullptr;
    std::size_t size = 0;
    la_int64_t offset = 0;
    const int status = archive_read_data_block(m_reader, &data, &size, &offset);
    if (status == ARCHIVE_EOF) {
      m_eof = true;
      return false;
    }
    if (status < ARCHIVE_WARN) {
      throw damaged(m_path, m_reader);
    }
    block = std::string_view(static_cast<const char*>(data), size);
    return true;
  }

private:
  ::archive* m_reader;
  const fs::path& m_path;
  bool m_eof = false;
};

Error unrepresentable(const fs::path& path, std::string_view name, std::string_view why)
{
  return Error(Errc::failed,
               fmt::format("cannot read archive {}: entry '{}': {}", path.string(), name, why),
               "this is not a cell0ctl snapshot; list it with `tar -tvf`");
}

// Fills the type-dependent fields of `out` from `entry`.
void describe_type(archive_entry* entry, const fs::path& path, Entry& out)
{
  if (const char* link = archive_entry_hardlink(entry); link != nullptr) {
    const CleanPath target = clean_path(link);
    if (target.problem != PathProblem::none) {
      throw unrepresentable(path, out.path, fmt::format("hard link to '{}'", link));
    }
    out.link_target = target.path;
    return;
  }
  const unsigned type = archive_entry_filetype(entry);
  if (type == AE_IFREG && archive_entry_sparse_count(entry) > 0) {
    throw unrepresentable(path, out.path, "a sparse file");
  }
  if (type == AE_IFREG) {
    out.size = static_cast<std::uint64_t>(std::max<la_int64_t>(archive_entry_size(entry), 0));
  } else if (type == AE_IFDIR) {
    out.type = Entry::Type::directory;
  } else if (type == AE_IFLNK) {
    out.type = Entry::Type::symlink;
    const char* target = archive_entry_symlink(entry);
    out.link_target = target != nullptr ? target : archive_entry_symlink_utf8(entry);
  } else {
    throw unrepresentable(path, out.path, type_name(type));
  }
}

// The Entry of `entry`, or nullopt for the archive's root ("./").
std::optional<Entry> describe(archive_entry* entry, const fs::path& path)
{
  const char* name = pathname_of(entry);
  const CleanPath clean = clean_path(name != nullptr ? name : "");
  if (clean.problem == PathProblem::empty) {
    return std::nullopt;
  }
  if (clean.problem != PathProblem::none) {
    throw unrepresentable(path, clean.path, problem_text(clean.problem));
  }
  Entry out;
  out.path = clean.path;
  describe_type(entry, path, out);
  out.mode = archive_entry_perm(entry) & 07777;
  out.uid = static_cast<std::uint32_t>(archive_entry_uid(entry));
  out.gid = static_cast<std::uint32_t>(archive_entry_gid(entry));
  const char* uname = archive_entry_uname(entry);
  const char* gname = archive_entry_gname(entry);
  out.uname = uname != nullptr ? uname : "";
  out.gname = gname != nullptr ? gname : "";
  out.mtime_sec = archive_entry_mtime(entry);
  out.mtime_nsec = archive_entry_mtime_nsec(entry);
  return out;
}

// --- Writing ---

// Opens `source` for add_file: a regular file, never through a final symlink, and without
// blocking on a fifo that took its place.
UniqueFd open_regular(const fs::path& source)
{
  UniqueFd fd(::open(source.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC));
  if (fd.get() < 0) {
    const int error = errno;
    throw Error(Errc::failed,
                fmt::format("cannot read {}: {}",
                            source.string(),
                            error == ELOOP ? "it is a symlink" : std::strerror(error)));
  }
  struct stat info = {};
  if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode)) {
    throw Error(Errc::failed, fmt::format("cannot read {}: not a regular file", source.string()));
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK) != 0) {
    throw Error(Errc::failed,
                fmt::format("cannot read {}: {}", source.string(), std::strerror(errno)));
  }
  return fd;
}

// Reads into `buffer` until it is full or the file ends; returns the count read.
std::size_t read_full(int fd, std::span<char> buffer, const fs::path& source)
{
  std::size_t done = 0;
  while (done < buffer.size()) {
    const ssize_t count = ::read(fd, buffer.data() + done, buffer.size() - done);
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      throw Error(Errc::failed,
                  fmt::format("cannot read {}: {}", source.string(), std::strerror(errno)));
    }
    if (count == 0) {
      break;
    }
    done += static_cast<std::size_t>(count);
  }
  return done;
}

} // namespace

struct Writer::State
{
  fs::path output;
  UniqueFd fd;
  ::archive* handle = nullptr;
  std::vector<char> buffer; // add_file's block, allocated on first use
  bool broken = false;
  bool finished = false;

  ~State()
  {
    if (handle != nullptr) {
      if (!finished && fd.get() >= 0) {
        // No end-of-archive marker may reach the file: point the descriptor at /dev/null and
        // let libarchive close normally (archive_write_fail() would skip freeing the zstd
        // filter: a leak in libarchive 3.6).
        const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0) {
          ::dup2(null, fd.get());
          ::close(null);
        }
      }
      archive_write_free(handle);
    }
  }

  Error failure(std::string_view what) const
  {
    return Error(
        Errc::failed,
        fmt::format("cannot write archive {}: {}: {}", output.string(), what, message_of(handle)));
  }

  void check(int status, std::string_view what) const
  {
    if (status < ARCHIVE_WARN) {
      throw failure(what);
    }
  }

  void require_usable() const
  {
    if (broken || finished) {
      throw Error(
          Errc::failed,
          fmt::format("cannot write archive {}: {}",
                      output.string(),
                      finished ? "it is already finished" : "an earlier error left it incomplete"),
          "remove the incomplete archive and start again");
    }
  }

  // Runs `step`; an exception from it breaks the writer, whose archive now lacks part of an
  // entry.
  template <typename Step> void guarded(Step&& step)
  {
    require_usable();
    const Utf8Names names;
    try {
      step();
    } catch (...) {
      broken = true;
      throw;
    }
  }

  void write_header(const Entry& entry, unsigned type, std::uint64_t size)
  {
    const EntryHandle header(archive_entry_new());
    archive_entry* e = header.get();
    archive_entry_copy_pathname(e, entry.path.c_str());
    archive_entry_set_filetype(e, type);
    archive_entry_set_perm(e, static_cast<mode_t>(entry.mode & 07777));
    archive_entry_set_uid(e, entry.uid);
    archive_entry_set_gid(e, entry.gid);
    if (!entry.uname.empty()) {
      archive_entry_copy_uname(e, entry.uname.c_str());
    }
    if (!entry.gname.empty()) {
      archive_entry_copy_gname(e, entry.gname.c_str());
    }
    archive_entry_set_mtime(e, static_cast<time_t>(entry.mtime_sec), entry.mtime_nsec);
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    if (type == AE_IFLNK) {
      archive_entry_copy_symlink(e, entry.link_target.c_str());
    }
    check(archive_write_header(handle, e), fmt::format("entry '{}'", entry.path));
  }

  void write_data(std::string_view data, const std::string& path)
  {
    while (!data.empty()) {
      const la_ssize_t count = archive_write_data(handle, data.data(), data.size());
      if (count <= 0) {
        throw failure(fmt::format("entry '{}'", path));
      }
      data.remove_prefix(static_cast<std::size_t>(count));
    }
  }

  void finish_entry(const std::string& path)
  {
    check(archive_write_finish_entry(handle), fmt::format("entry '{}'", path));
  }

  // Copies `entry.size` bytes of `in` into the current entry.
  void copy_file(const Entry& entry,
                 int in,
                 const fs::path& source,
                 const std::function<void(std::string_view)>& observe)
  {
    buffer.resize(k_block_size);
    std::uint64_t done = 0;
    while (done < entry.size) {
      const auto want =
          static_cast<std::size_t>(std::min<std::uint64_t>(entry.size - done, buffer.size()));
      const std::size_t got = read_full(in, std::span(buffer.data(), want), source);
      if (got == 0) {
        throw Error(Errc::failed,
                    fmt::format("cannot archive {}: it changed while being read (it ended after "
                                "{} bytes, {} expected)",
                                source.string(),
                                done,
                                entry.size),
                    "run the backup again, or stop what writes to the file first");
      }
      const std::string_view block(buffer.data(), got);
      if (observe) {
        observe(block);
      }
      write_data(block, entry.path);
      done += got;
    }
  }
};

Writer::Writer(const fs::path& output, const WriterOptions& options)
    : m_state(std::make_unique<State>())
{
  const Utf8Names names;
  State& s = *m_state;
  s.output = output;
  s.fd =
      UniqueFd(::open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (s.fd.get() < 0) {
    throw Error(Errc::failed,
                fmt::format("cannot create archive {}: {}", output.string(), std::strerror(errno)),
                "check that its folder exists and is writable");
  }
  s.handle = archive_write_new();
  if (s.handle == nullptr) {
    throw Error(Errc::failed,
                fmt::format("cannot write archive {}: out of memory", output.string()));
  }
  if (options.threads < 0) {
    throw Error(
        Errc::failed,
        fmt::format("cannot write archive {}: {} threads", output.string(), options.threads),
        "ask for 0 threads (one per CPU) or more");
  }
  const unsigned threads = options.threads > 0 ? static_cast<unsigned>(options.threads)
                                               : std::max(1u, std::thread::hardware_concurrency());
  // Full pax, not pax_restricted: only the full form records every mtime with its nanoseconds.
  s.check(archive_write_set_format_pax(s.handle), "pax format");
  s.check(archive_write_add_filter_zstd(s.handle), "zstd");
  const std::string level = std::to_string(options.zstd_level);
  if (archive_write_set_filter_option(s.handle, "zstd", "compression-level", level.c_str())
      != ARCHIVE_OK) {
    throw s.failure(fmt::format("zstd level {}", level));
  }
  if (archive_write_set_filter_option(s.handle, "zstd", "threads", std::to_string(threads).c_str())
      != ARCHIVE_OK) {
    throw s.failure(fmt::format("zstd with {} threads", threads));
  }
  s.check(archive_write_open_fd(s.handle, s.fd.get()), "open");
}

Writer::~Writer() = default;

void Writer::add_directory(const Entry& entry)
{
  checked_path(m_state->output, entry.path);
  m_state->guarded([&] {
    m_state->write_header(entry, AE_IFDIR, 0);
    m_state->finish_entry(entry.path);
  });
}

void Writer::add_symlink(const Entry& entry)
{
  checked_path(m_state->output, entry.path);
  if (entry.link_target.empty()) {
    throw Error(Errc::failed,
                fmt::format("cannot add symlink '{}' to archive {}: it has no target",
                            entry.path,
                            m_state->output.string()));
  }
  m_state->guarded([&] {
    m_state->write_header(entry, AE_IFLNK, 0);
    m_state->finish_entry(entry.path);
  });
}

void Writer::add_data(const Entry& entry, std::string_view data)
{
  checked_path(m_state->output, entry.path);
  m_state->guarded([&] {
    m_state->write_header(entry, AE_IFREG, data.size());
    m_state->write_data(data, entry.path);
    m_state->finish_entry(entry.path);
  });
}

void Writer::add_file(const Entry& entry,
                      const fs::path& source,
                      const std::function<void(std::string_view)>& observe)
{
  checked_path(m_state->output, entry.path);
  m_state->require_usable();
  const UniqueFd in = open_regular(source); // before the header: nothing written yet on failure
  m_state->guarded([&] {
    m_state->write_header(entry, AE_IFREG, entry.size);
    m_state->copy_file(entry, in.get(), source, observe);
    m_state->finish_entry(entry.path);
  });
}

void Writer::finish()
{
  State& s = *m_state;
  s.guarded([&] {
    s.check(archive_write_close(s.handle), "close");
    s.finished = true;
    if (const int error = s.fd.reset(); error != 0) {
      throw Error(
          Errc::failed,
          fmt::format("cannot write archive {}: {}", s.output.string(), std::strerror(error)));
    }
  });
}

void read(const fs::path& archive_path,
          const std::function<void(const Entry& entry, const NextBlock& next_block)>& visit)
{
  const ReadHandle reader = [&] {
    const Utf8Names names;
    return open_reader(archive_path);
  }();
  for (;;) {
    std::optional<Entry> entry;
    {
      const Utf8Names names; // libarchive converts the names lazily: describe() too
      archive_entry* header = next_header(reader.get(), archive_path);
      if (header == nullptr) {
        return;
      }
      entry = describe(header, archive_path);
    }
    if (!entry) {
      continue;
    }
    Content content(reader.get(), archive_path);
    const NextBlock next_block = [&content](std::string_view& block) {
      const Utf8Names names;
      return content.next(block);
    };
    visit(*entry, next_block);
  }
}

namespace {

// One call of extract(): the checks of cell0ctl's own, on top of libarchive's.
class Extraction
{
public:
  Extraction(const fs::path& archive_path,
             const fs::path& target,
             const std::vector<std::string>& only,
             bool keep_owner)
      : m_archive_path(archive_path), m_target(target), m_only(selection(only))
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

  void entry(::archive* reader, archive_entry* header)
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

  void write(::archive* reader,
             archive_entry* header,
             const std::string& raw,
             const std::string& path)
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

  void copy_content(::archive* reader, const std::string& path)
  {
    for (;;) {
      const void* data = nullptr;
      std::size_t size = 0;
      la_int64_t offset = 0;
      const int status = archive_read_data_block(reader, &data, &size, &offset);
      if (status == ARCHIVE_EOF) {
        return;
      }
      if (status < ARCHIVE_WARN) {
        throw damaged(m_archive_path, reader);
      }
      if (archive_write_data_block(m_disk.get(), data, size, offset) < ARCHIVE_WARN) {
        throw failure(path);
      }
      m_result.bytes += size;
    }
  }

  const fs::path& m_archive_path;
  const fs::path& m_target;
  std::vector<std::string> m_only;
  WriteHandle m_disk;
  std::unordered_set<std::string> m_files; // regular files extracted: the only hard link targets
  ExtractResult m_result;
};

} // namespace

ExtractResult extract(const fs::path& archive_path,
                      const fs::path& target,
                      const std::vector<std::string>& only,
                      bool keep_owner)
{
  std::error_code ec;
  if (!fs::is_directory(target, ec)) {
    throw Error(Errc::failed,
                fmt::format("cannot restore into {}: not a folder", target.string()),
                "create the folder first");
  }
  const Utf8Names names;
  const ReadHandle reader = open_reader(archive_path); // before chdir: it may be relative
  const WorkingDirectory inside(target);
  Extraction extraction(archive_path, target, only, keep_owner); // after: it writes fixups

  while (archive_entry* header = next_header(reader.get(), archive_path)) {
    extraction.entry(reader.get(), header);
  }
  return extraction.finish();
}

} // namespace cell0ctl::archive
