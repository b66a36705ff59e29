// SPDX-License-Identifier: GPL-3.0-or-later
// archive::Writer: pax entries, compressed with zstd, into an Output.
#include "lib/archive/archive.hpp"
#include "lib/archive/common.hpp"
#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <span>
#include <thread>

#include <fcntl.h>
#include <sys/stat.h>

namespace fs = std::filesystem;

namespace cell0ctl::archive {

using namespace detail;

namespace {

constexpr std::size_t k_block_size = std::size_t{1} << 20; // add_file's reads

// The path of an entry to write: relative, without "." or ".." elements.
std::string checked_path(const std::string& archive_name, const std::string& path)
{
  const CleanPath clean = clean_path(path);
  if (clean.problem != PathProblem::none || clean.path != path) {
    const std::string_view why =
        clean.problem != PathProblem::none ? problem_text(clean.problem) : "not in normal form";
    throw Error(Errc::failed,
                fmt::format("cannot add '{}' to archive {}: {}", path, archive_name, why),
                "entries are relative paths such as 'etc/cell0.json'");
  }
  return clean.path;
}

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
  std::unique_ptr<Output> owned; // the path constructor's file
  Output& output;
  std::string name; // output.name(), for messages
  ::archive* handle = nullptr;
  std::exception_ptr output_error; // the first error of output.write(); it breaks the Writer
  std::vector<char> buffer;        // add_file's block, allocated on first use
  bool broken = false;
  bool finished = false;
  bool discarding = false; // set when destroyed: what libarchive still flushes goes nowhere

  explicit State(Output& out) : output(out), name(out.name()) {}
  explicit State(std::unique_ptr<Output> file)
      : owned(std::move(file)), output(*owned), name(output.name())
  {}

  ~State()
  {
    if (handle != nullptr) {
      // No end-of-archive marker may reach an unfinished output: freeing closes libarchive
      // normally (archive_write_fail() would skip freeing the zstd filter: a leak in
      // libarchive 3.6), and write_callback() drops what that flushes.
      discarding = true;
      archive_write_free(handle);
    }
  }

  // Sets up pax, zstd and the output, whose writes go through write_callback().
  void open(const WriterOptions& options)
  {
    handle = archive_write_new();
    if (handle == nullptr) {
      throw Error(Errc::failed, fmt::format("cannot write archive {}: out of memory", name));
    }
    if (options.threads < 0) {
      throw Error(Errc::failed,
                  fmt::format("cannot write archive {}: {} threads", name, options.threads),
                  "ask for 0 threads (one per CPU) or more");
    }
    const unsigned threads = options.threads > 0
                                 ? static_cast<unsigned>(options.threads)
                                 : std::max(1u, std::thread::hardware_concurrency());
    // Full pax, not pax_restricted: only the full form records every mtime with its nanoseconds.
    check(archive_write_set_format_pax(handle), "pax format");
    check(archive_write_add_filter_zstd(handle), "zstd");
    const std::string level = std::to_string(options.zstd_level);
    if (archive_write_set_filter_option(handle, "zstd", "compression-level", level.c_str())
        != ARCHIVE_OK) {
      throw failure(fmt::format("zstd level {}", level));
    }
    if (archive_write_set_filter_option(handle, "zstd", "threads", std::to_string(threads).c_str())
        != ARCHIVE_OK) {
      throw failure(fmt::format("zstd with {} threads", threads));
    }
    // No zeros after the zstd frame to fill libarchive's last 10 KiB block, which zstd -d
    // would refuse: what archive_write_open_fd() chooses for a regular file.
    check(archive_write_set_bytes_in_last_block(handle, 1), "block size");
    check(archive_write_open2(handle, this, nullptr, write_callback, nullptr, nullptr), "open");
  }

  static la_ssize_t write_callback(::archive*, void* self, const void* buffer, std::size_t length)
  {
    State& s = *static_cast<State*>(self);
    if (!s.discarding && !s.output_error) {
      try {
        s.output.write(std::string_view(static_cast<const char*>(buffer), length));
      } catch (...) {
        s.output_error = std::current_exception(); // no exception may cross libarchive's frames
      }
    }
    // libarchive hears of success whatever happened: a failed write would put it in its fatal
    // state, which skips freeing the zstd filter (see ~State()). The Writer call that led here
    // throws the output's error instead, and leaves the Writer broken.
    return static_cast<la_ssize_t>(length);
  }

  Error failure(std::string_view what) const
  {
    return Error(Errc::failed,
                 fmt::format("cannot write archive {}: {}: {}", name, what, message_of(handle)));
  }

  // Throws the output's error if the libarchive call that returned `status` met one, or
  // libarchive's own.
  void check(la_ssize_t status, std::string_view what) const
  {
    if (output_error) {
      std::rethrow_exception(output_error);
    }
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
                      name,
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
      check(count <= 0 ? ARCHIVE_FATAL : ARCHIVE_OK, fmt::format("entry '{}'", path));
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
    : m_state(std::make_unique<State>(std::make_unique<FileOutput>(output)))
{
  const Utf8Names names;
  m_state->open(options);
}

Writer::Writer(Output& output, const WriterOptions& options)
    : m_state(std::make_unique<State>(output))
{
  const Utf8Names names;
  m_state->open(options);
}

Writer::~Writer() = default;

void Writer::add_directory(const Entry& entry)
{
  checked_path(m_state->name, entry.path);
  m_state->guarded([&] {
    m_state->write_header(entry, AE_IFDIR, 0);
    m_state->finish_entry(entry.path);
  });
}

void Writer::add_symlink(const Entry& entry)
{
  checked_path(m_state->name, entry.path);
  if (entry.link_target.empty()) {
    throw Error(Errc::failed,
                fmt::format("cannot add symlink '{}' to archive {}: it has no target",
                            entry.path,
                            m_state->name));
  }
  m_state->guarded([&] {
    m_state->write_header(entry, AE_IFLNK, 0);
    m_state->finish_entry(entry.path);
  });
}

void Writer::add_data(const Entry& entry, std::string_view data)
{
  checked_path(m_state->name, entry.path);
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
  checked_path(m_state->name, entry.path);
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
    s.output.finish();
  });
}

} // namespace cell0ctl::archive
