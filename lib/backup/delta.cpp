// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/delta.hpp"

#include "lib/core/error.hpp"
#include "lib/util/sha256.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl::backup {

namespace {

constexpr std::size_t k_hex_per_block = 2 * k_block_digest_bytes;
constexpr std::size_t k_io_block = 1u << 20u;

// An open file descriptor, closed on destruction.
class Fd
{
public:
  Fd(const fs::path& path, int flags, mode_t mode = 0600)
      : m_path(path), m_fd(::open(path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW, mode))
  {
    if (m_fd < 0) {
      fail("cannot open");
    }
  }
  ~Fd()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  [[noreturn]] void fail(std::string_view what) const
  {
    throw Error(Errc::failed, fmt::format("{} {}: {}", what, m_path.string(), std::strerror(errno)));
  }

  // Reads exactly `size` bytes at `offset`, or throws (the file got shorter).
  void read_at(char* data, std::size_t size, std::uint64_t offset) const
  {
    while (size > 0) {
      const ssize_t n = ::pread(m_fd, data, size, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        if (n == 0) {
          errno = ENODATA;
        }
        fail("cannot read");
      }
      data += n;
      size -= static_cast<std::size_t>(n);
      offset += static_cast<std::uint64_t>(n);
    }
  }

  std::size_t read_some(char* data, std::size_t size) const
  {
    for (;;) {
      const ssize_t n = ::read(m_fd, data, size);
      if (n >= 0) {
        return static_cast<std::size_t>(n);
      }
      if (errno != EINTR) {
        fail("cannot read");
      }
    }
  }

  void write_at(const char* data, std::size_t size, std::uint64_t offset) const
  {
    while (size > 0) {
      const ssize_t n = ::pwrite(m_fd, data, size, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        fail("cannot write");
      }
      data += n;
      size -= static_cast<std::size_t>(n);
      offset += static_cast<std::uint64_t>(n);
    }
  }

  void truncate(std::uint64_t size) const
  {
    if (::ftruncate(m_fd, static_cast<off_t>(size)) != 0) {
      fail("cannot resize");
    }
  }

private:
  fs::path m_path;
  int m_fd = -1;
};

} // namespace

void BlockDigests::add_block(std::string_view block)
{
  static constexpr char k_hex[] = "0123456789abcdef";
  unsigned char digest[32];
  util::sha256_digest(block, digest);
  for (std::size_t i = 0; i < k_block_digest_bytes; ++i) {
    m_hex += k_hex[digest[i] >> 4];
    m_hex += k_hex[digest[i] & 0xf];
  }
}

void BlockDigests::update(std::string_view data)
{
  if (!m_partial.empty()) {
    const std::size_t take = std::min(k_block_size - m_partial.size(), data.size());
    m_partial.append(data.substr(0, take));
    data.remove_prefix(take);
    if (m_partial.size() < k_block_size) {
      return;
    }
    add_block(m_partial);
    m_partial.clear();
  }
  while (data.size() >= k_block_size) {
    add_block(data.substr(0, k_block_size));
    data.remove_prefix(k_block_size);
  }
  m_partial.assign(data);
}

std::string BlockDigests::finish()
{
  if (!m_partial.empty()) {
    add_block(m_partial);
    m_partial.clear();
  }
  return std::exchange(m_hex, {});
}

BlockRuns changed_blocks(std::string_view before, std::string_view after)
{
  BlockRuns runs;
  const std::uint64_t count = after.size() / k_hex_per_block;
  for (std::uint64_t block = 0; block < count; ++block) {
    const std::size_t at = block * k_hex_per_block;
    const bool same = at + k_hex_per_block <= before.size()
                      && before.compare(at, k_hex_per_block, after.substr(at, k_hex_per_block)) == 0;
    if (same) {
      continue;
    }
    if (!runs.empty() && runs.back().first + runs.back().second == block) {
      ++runs.back().second;
    } else {
      runs.emplace_back(block, 1);
    }
  }
  return runs;
}

std::uint64_t block_count(const BlockRuns& runs)
{
  std::uint64_t count = 0;
  for (const auto& [first, n] : runs) {
    count += n;
  }
  return count;
}

namespace {

// The byte range [begin, end) of a run in a file of `size` bytes.
std::pair<std::uint64_t, std::uint64_t> run_bytes(const std::pair<std::uint64_t, std::uint64_t>& run,
                                                  std::uint64_t size)
{
  const std::uint64_t begin = run.first * k_block_size;
  const std::uint64_t end = std::min(size, (run.first + run.second) * k_block_size);
  if (begin >= end) {
    throw Error(Errc::failed, fmt::format("block run {}+{} lies beyond the end of a {}-byte file",
                                          run.first, run.second, size));
  }
  return {begin, end};
}

void copy_range(const Fd& from, std::uint64_t begin, std::uint64_t end, const Fd& to,
                std::uint64_t& written)
{
  std::vector<char> buffer(k_io_block);
  while (begin < end) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), end - begin));
    from.read_at(buffer.data(), n, begin);
    to.write_at(buffer.data(), n, written);
    begin += n;
    written += n;
  }
}

} // namespace

void extract_blocks(const fs::path& file, std::uint64_t size, const BlockRuns& runs,
                    const fs::path& out)
{
  const Fd from(file, O_RDONLY);
  const Fd to(out, O_WRONLY | O_CREAT | O_TRUNC);
  std::uint64_t written = 0;
  for (const auto& run : runs) {
    const auto [begin, end] = run_bytes(run, size);
    copy_range(from, begin, end, to, written);
  }
}

void extract_range(const fs::path& file, std::uint64_t offset, std::uint64_t end, const fs::path& out)
{
  const Fd from(file, O_RDONLY);
  const Fd to(out, O_WRONLY | O_CREAT | O_TRUNC);
  std::uint64_t written = 0;
  copy_range(from, offset, end, to, written);
}

void apply_tail(const fs::path& file, std::uint64_t offset, const fs::path& tail)
{
  const Fd to(file, O_RDWR);
  to.truncate(offset);
  const Fd from(tail, O_RDONLY);
  std::vector<char> buffer(k_io_block);
  std::uint64_t at = offset;
  while (const std::size_t n = from.read_some(buffer.data(), buffer.size())) {
    to.write_at(buffer.data(), n, at);
    at += n;
  }
}

void apply_blocks(const fs::path& file, std::uint64_t size, const BlockRuns& runs,
                  const fs::path& blocks)
{
  const Fd to(file, O_RDWR);
  to.truncate(size);
  const Fd from(blocks, O_RDONLY);
  std::vector<char> buffer(k_io_block);
  std::uint64_t read = 0;
  for (const auto& run : runs) {
    auto [begin, end] = run_bytes(run, size);
    while (begin < end) {
      const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), end - begin));
      from.read_at(buffer.data(), n, read);
      to.write_at(buffer.data(), n, begin);
      begin += n;
      read += n;
    }
  }
}

} // namespace cell0ctl::backup
