// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Snapshot archives: pax tar compressed with zstd (libarchive), so that a full snapshot restores
// with a plain `tar --zstd -xf` when cell0ctl is not at hand. Every function streams: memory
// stays bounded whatever the size of the files (it grows only with the number of entries that
// extract() must remember for hard links). Archives go to a file or to any Output, and come from
// a file or from any Input (lib/archive/stream.hpp), such as an age-encrypted file
// (lib/crypto/age_stream.hpp), without a plaintext copy on disk.

#include "lib/archive/stream.hpp"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::archive {

// One member of an archive, as written and as read.
struct Entry
{
  std::string path; // relative, '/'-separated, no leading '/', no "." or ".." element
  enum class Type { file, directory, symlink } type = Type::file;
  std::uint32_t mode = 0644; // permission bits (07777); ignored for symlinks
  std::uint32_t uid = 0, gid = 0;
  std::string uname, gname;   // empty: not recorded
  std::int64_t mtime_sec = 0; // seconds since the epoch
  long mtime_nsec = 0;        // 0..999999999, kept by the pax headers
  std::uint64_t size = 0;     // content bytes of a file; 0 for the other types
  std::string link_target;    // what a symlink points to; the earlier path a hard link names
};

struct WriterOptions
{
  int zstd_level = 3; // 1 (fast) .. 19 (small); libarchive refuses levels zstd does not know
  int threads = 0;    // compression threads; 0: as many as CPUs
};

// Writes a pax archive compressed with zstd to a new file or an Output, entry after entry.
//
// Any error (thrown as Error(Errc::failed), naming the archive or the source file, or the
// output's own Error unchanged) leaves the Writer broken: every later call throws, so that an
// archive missing part of an entry is never finished as if it were complete. Destroying a
// Writer without a successful finish() closes the file without the end-of-archive marker
// (never throwing); the caller removes it. An Output is then neither written to any more nor
// finished.
class Writer
{
public:
  // Creates (or truncates) `output` with mode 0600, not following a symlink there (a
  // FileOutput). Throws Error(Errc::failed) with the system's or libarchive's message, e.g. for
  // a level out of range.
  Writer(const std::filesystem::path& output, const WriterOptions& options);

  // Writes to `output`, which must outlive the Writer, in blocks of 10 KiB and a shorter last
  // one (never padded with zeros). Throws like the constructor above.
  Writer(Output& output, const WriterOptions& options);

  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Each `entry.path` must be relative with no "." or ".." element (Error otherwise); its
  // type is the one of the call, whatever `entry.type` says.
  void add_directory(const Entry& entry);
  void add_symlink(const Entry& entry); // `entry.link_target` must not be empty

  // Adds a file whose content `data`, held in memory, is small (a manifest); `entry.size` is
  // ignored and `data.size()` recorded instead.
  void add_data(const Entry& entry, std::string_view data);

  // Adds a file of exactly `entry.size` bytes read from `source`, opened with O_NOFOLLOW
  // (a symlink or anything but a regular file there is an Error), in blocks of 1 MiB, calling
  // `observe` (when set) on each block in order, for the caller to hash it. Content past
  // `entry.size` is not read; a file shorter than `entry.size` now throws Error naming `source`
  // ("changed while being read"), and the Writer is broken (see above).
  void add_file(const Entry& entry,
                const std::filesystem::path& source,
                const std::function<void(std::string_view)>& observe = {});

  // Writes the end of the archive, flushes the compressor and closes the file, or finishes the
  // Output: after it every byte is in the file (not yet synced: the caller fsyncs and renames).
  // Throws Error on failure (a full disk), or when the Writer is broken or already finished.
  void finish();

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Hands one block of the current entry's content to `block` and returns true, or returns false
// at the end of the content. Valid only during the visit call that received it.
using NextBlock = std::function<bool(std::string_view& block)>;

// Reads every entry of `archive` (pax, ustar or GNU tar; zstd, gzip, xz, bzip2, lz4 or not
// compressed) in order and calls `visit` with the entry and a reader of its content; content
// that the visitor does not read is skipped. A hard link is reported as a file of size 0 whose
// `link_target` is the earlier path; the archive's own root ("./") is not reported.
// Throws Error(Errc::failed) naming the archive when it cannot be opened, is damaged or
// truncated (also from `next_block`), or has an entry that an Entry cannot describe: an
// absolute path, a ".." element, a device, a fifo, a socket or a sparse file.
void read(const std::filesystem::path& archive,
          const std::function<void(const Entry& entry, const NextBlock& next_block)>& visit);

// Reads the archive that `input` holds, like read() above. After the last entry, `input` is read
// to its end (past the end-of-archive marker), so that damage that an input detects only there
// (a truncated age file) is thrown before read() returns. An Error of `input` is thrown
// unchanged, from read() or from `next_block`, as soon as libarchive needs the bytes that
// failed.
void read(Input& input,
          const std::function<void(const Entry& entry, const NextBlock& next_block)>& visit);

struct ExtractResult
{
  std::uint64_t files = 0;          // regular files and hard links written
  std::uint64_t bytes = 0;          // content bytes written
  std::vector<std::string> refused; // "path: why", for the entries not written, in order
};

// Extracts `archive` (as read() reads it) into the existing folder `target`, restoring modes
// and modification times, and owners only when running as root and `keep_owner` is true
// (looked up by name first, as tar does). `only` (empty: everything) selects entries by
// relative path: an entry is extracted when its path equals one of them or lies below one,
// and a folder above one is too, for its mode (think of ~/.ssh); an absolute or ".." path in
// `only` is an Error(Errc::usage).
//
// Nothing is ever written outside `target`: libarchive's secure flags are set (no ".." element,
// no absolute path, never through a symlink, including one found in `target` beforehand), and
// cell0ctl refuses on its own, before libarchive sees them, absolute and ".." paths, paths
// through a symlink, devices, fifos and sockets (libarchive would create them), sparse files
// (which may declare any size), and hard links to anything but a regular file extracted
// earlier in this call.
// A refused entry is listed in `refused` and the rest goes on. An existing file in the way is
// replaced (unlinked), never written through.
//
// libarchive writes relative to the working directory, so the call changes the process's
// working directory to `target` and restores it before returning: do not run it alongside code
// that uses relative paths.
//
// Throws Error(Errc::failed) when `target` is not a folder, or when the archive cannot be
// opened, is damaged or truncated, or a write fails (a full disk). Entries completed before then
// stay in `target`, and a file whose content could not be read or written in full is removed:
// after an Error, `target` holds complete files, but maybe not all of them. Only a returned
// ExtractResult says that the extraction finished.
ExtractResult extract(const std::filesystem::path& archive,
                      const std::filesystem::path& target,
                      const std::vector<std::string>& only = {},
                      bool keep_owner = false);

// Extracts the archive that `input` holds, like extract() above, reading `input` to its end as
// read() does: an input that detects damage only at its end (a truncated age file) makes
// extract() throw after writing every entry it delivered. `input` is read while the working
// directory is `target`.
ExtractResult extract(Input& input,
                      const std::filesystem::path& target,
                      const std::vector<std::string>& only = {},
                      bool keep_owner = false);

} // namespace cell0ctl::archive
