// SPDX-License-Identifier: GPL-3.0-or-later
// archive::read(), and the libarchive reader that extract() shares.
#include "lib/archive/archive.hpp"
#include "lib/archive/common.hpp"
#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace fs = std::filesystem;

namespace cell0ctl::archive {

namespace detail {

namespace {

constexpr std::size_t k_read_block_size = 64 * 1024; // libarchive's reads of an archive

} // namespace

Reader::Reader(Input& input)
    : m_input(input), m_block(k_read_block_size), m_handle(archive_read_new())
{
  const Utf8Names names;
  if (!m_handle) {
    throw Error(Errc::failed, fmt::format("cannot read archive {}: out of memory", m_input.name()));
  }
  archive_read_support_format_tar(handle());
  archive_read_support_filter_zstd(handle());
  archive_read_support_filter_gzip(handle());
  archive_read_support_filter_xz(handle());
  archive_read_support_filter_bzip2(handle());
  archive_read_support_filter_lz4(handle());
  if (archive_read_open(handle(), this, nullptr, read_callback, nullptr) != ARCHIVE_OK) {
    fail();
  }
}

la_ssize_t Reader::read_callback(::archive* handle, void* self, const void** buffer)
{
  Reader& reader = *static_cast<Reader*>(self);
  *buffer = reader.m_block.data();
  try {
    return static_cast<la_ssize_t>(
        reader.m_input.read(reader.m_block.data(), reader.m_block.size()));
  } catch (...) {
    // No exception may cross libarchive's C frames: fail() throws this one instead of the
    // message that libarchive keeps.
    reader.m_input_error = std::current_exception();
    archive_set_error(handle, EIO, "cannot read the input");
    return -1;
  }
}

archive_entry* Reader::next_header()
{
  archive_entry* entry = nullptr;
  const int status = archive_read_next_header(handle(), &entry);
  if (status == ARCHIVE_EOF) {
    // libarchive stops at the end-of-archive marker; what follows (tar's padding, the end of
    // the compressed stream, the final chunk of an age file) is read here, without libarchive.
    while (m_input.read(m_block.data(), m_block.size()) > 0) {
    }
    return nullptr;
  }
  if (status < ARCHIVE_WARN) { // a warning (say, a name not in this locale) is no reason to stop
    fail();
  }
  return entry;
}

bool Reader::next_block(std::string_view& block, std::int64_t& offset)
{
  const void* data = nullptr;
  std::size_t size = 0;
  la_int64_t at = 0;
  const int status = archive_read_data_block(handle(), &data, &size, &at);
  if (status == ARCHIVE_EOF) {
    return false;
  }
  if (status < ARCHIVE_WARN) {
    fail();
  }
  block = std::string_view(static_cast<const char*>(data), size);
  offset = at;
  return true;
}

void Reader::fail() const
{
  if (m_input_error) {
    std::rethrow_exception(m_input_error);
  }
  throw Error(Errc::failed,
              fmt::format("cannot read archive {}: {}", m_input.name(), message_of(handle())),
              k_damaged_hint);
}

} // namespace detail

using namespace detail;

namespace {

// The content of the current entry, block after block (never sparse: describe() refuses those).
class Content
{
public:
  explicit Content(Reader& reader) : m_reader(reader) {}

  bool next(std::string_view& block)
  {
    std::int64_t offset = 0;
    m_eof = m_eof || !m_reader.next_block(block, offset);
    return !m_eof;
  }

private:
  Reader& m_reader;
  bool m_eof = false;
};

Error unrepresentable(const std::string& archive_name, std::string_view name, std::string_view why)
{
  return Error(Errc::failed,
               fmt::format("cannot read archive {}: entry '{}': {}", archive_name, name, why),
               "this is not a cell0ctl snapshot; list it with `tar -tvf`");
}

// Fills the type-dependent fields of `out` from `entry`.
void describe_type(archive_entry* entry, const std::string& archive_name, Entry& out)
{
  if (const char* link = archive_entry_hardlink(entry); link != nullptr) {
    const CleanPath target = clean_path(link);
    if (target.problem != PathProblem::none) {
      throw unrepresentable(archive_name, out.path, fmt::format("hard link to '{}'", link));
    }
    out.link_target = target.path;
    return;
  }
  const unsigned type = archive_entry_filetype(entry);
  if (type == AE_IFREG && archive_entry_sparse_count(entry) > 0) {
    throw unrepresentable(archive_name, out.path, "a sparse file");
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
    throw unrepresentable(archive_name, out.path, type_name(type));
  }
}

// The Entry of `entry`, or nullopt for the archive's root ("./").
std::optional<Entry> describe(archive_entry* entry, const std::string& archive_name)
{
  const char* name = pathname_of(entry);
  const CleanPath clean = clean_path(name != nullptr ? name : "");
  if (clean.problem == PathProblem::empty) {
    return std::nullopt;
  }
  if (clean.problem != PathProblem::none) {
    throw unrepresentable(archive_name, clean.path, problem_text(clean.problem));
  }
  Entry out;
  out.path = clean.path;
  describe_type(entry, archive_name, out);
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

} // namespace

void read(Input& input,
          const std::function<void(const Entry& entry, const NextBlock& next_block)>& visit)
{
  Reader reader(input);
  const std::string archive_name = input.name();
  for (;;) {
    std::optional<Entry> entry;
    {
      const Utf8Names names; // libarchive converts the names lazily: describe() too
      archive_entry* header = reader.next_header();
      if (header == nullptr) {
        return;
      }
      entry = describe(header, archive_name);
    }
    if (!entry) {
      continue;
    }
    Content content(reader);
    const NextBlock next_block = [&content](std::string_view& block) {
      const Utf8Names names;
      return content.next(block);
    };
    visit(*entry, next_block);
  }
}

void read(const fs::path& archive_path,
          const std::function<void(const Entry& entry, const NextBlock& next_block)>& visit)
{
  FileInput input(archive_path);
  read(input, visit);
}

} // namespace cell0ctl::archive
