// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What writer.cpp, reader.cpp and extract.cpp share; not part of the archive API.

#include "lib/archive/stream.hpp"

#include <archive.h>

#include <cerrno>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <archive_entry.h>
#include <locale.h>
#include <unistd.h>

namespace cell0ctl::archive::detail {

extern const char* const k_damaged_hint;

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

// libarchive converts names between the pax headers' UTF-8 and the charset of the current
// locale: in the C locale of cell0ctl, "café" would go in marked "hdrcharset=BINARY" (GNU tar
// warns about the keyword) and come out with a warning. While one of these lives, this thread
// uses C.UTF-8 for character types: names are bytes, stored as UTF-8 when they are UTF-8.
class Utf8Names
{
public:
  Utf8Names();
  ~Utf8Names();
  Utf8Names(const Utf8Names&) = delete;
  Utf8Names& operator=(const Utf8Names&) = delete;

private:
  locale_t m_previous = nullptr;
};

// libarchive's message for the last error on `handle`.
std::string message_of(::archive* handle);

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
CleanPath clean_path(std::string_view raw);

std::string_view problem_text(PathProblem problem);

// The name of `entry` as the archive has it (in the locale's charset, or UTF-8).
const char* pathname_of(archive_entry* entry);

// "a character device", ... for the types that an Entry cannot describe.
std::string_view type_name(unsigned type);

// --- Reading (reader.cpp) ---

// A libarchive reader over `input`, for tar archives only (pax, ustar, GNU): other formats are
// attack surface that snapshots do not need. The filters are those libarchive runs in-process.
//
// An error of `input` is thrown as it is, not as libarchive's reworded message of it; at the
// end of the archive, `input` is read to its end, so that an input that checks its integrity
// as a whole (age) reports damage that lies past the end-of-archive marker.
class Reader
{
public:
  // Opens the archive (libarchive reads its first block to recognise it). Throws Error.
  explicit Reader(Input& input);
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;

  // Returns the next header, or nullptr at the end of the archive. Throws Error when the
  // archive is damaged or truncated.
  archive_entry* next_header();

  // Hands out the next block of the current entry's content and its offset, or returns false at
  // its end. Throws Error like next_header().
  bool next_block(std::string_view& block, std::int64_t& offset);

private:
  static la_ssize_t read_callback(::archive* handle, void* self, const void** buffer);

  ::archive* handle() const { return m_handle.get(); }

  // Throws the Error for libarchive's failure on this reader: the input's own, or a "damaged"
  // one.
  [[noreturn]] void fail() const;

  Input& m_input;
  std::vector<char> m_block; // what libarchive reads from `m_input` into
  std::exception_ptr m_input_error;
  ReadHandle m_handle; // last: freed first, while the members above still exist
};

} // namespace cell0ctl::archive::detail
