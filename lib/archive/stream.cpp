// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/archive/stream.hpp"

#include "lib/core/error.hpp"
#include "lib/util/sha256.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include <fcntl.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl::archive {

// --- FileOutput ---

FileOutput::FileOutput(const fs::path& path)
    : m_path(path),
      m_fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600))
{
  if (m_fd < 0) {
    throw Error(Errc::failed,
                fmt::format("cannot create archive {}: {}", path.string(), std::strerror(errno)),
                "check that its folder exists and is writable");
  }
}

FileOutput::~FileOutput()
{
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

void FileOutput::write(std::string_view data)
{
  while (!data.empty()) {
    const ssize_t count = ::write(m_fd, data.data(), data.size());
    if (count < 0 && errno == EINTR) {
      continue;
    }
    if (count < 0) {
      throw Error(Errc::failed,
                  fmt::format("cannot write archive {}: {}", m_path.string(), std::strerror(errno)),
                  "check the free space of its folder");
    }
    data.remove_prefix(static_cast<std::size_t>(count));
  }
}

void FileOutput::finish()
{
  // close() may report the error of a write that the kernel delayed (NFS, a full quota).
  if (::close(std::exchange(m_fd, -1)) != 0) {
    throw Error(Errc::failed,
                fmt::format("cannot write archive {}: {}", m_path.string(), std::strerror(errno)));
  }
}

std::string FileOutput::name() const
{
  return m_path.string();
}

// --- FileInput ---

FileInput::FileInput(const fs::path& path)
    : m_path(path), m_fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC))
{
  if (m_fd < 0) {
    throw Error(Errc::failed,
                fmt::format("cannot read archive {}: {}", path.string(), std::strerror(errno)));
  }
}

FileInput::~FileInput()
{
  ::close(m_fd);
}

std::size_t FileInput::read(char* buffer, std::size_t size)
{
  for (;;) {
    const ssize_t count = ::read(m_fd, buffer, size);
    if (count >= 0) {
      return static_cast<std::size_t>(count);
    }
    if (errno != EINTR) {
      throw Error(Errc::failed,
                  fmt::format("cannot read archive {}: {}", m_path.string(), std::strerror(errno)));
    }
  }
}

std::string FileInput::name() const
{
  return m_path.string();
}

// --- HashingOutput ---

HashingOutput::HashingOutput(Output& inner)
    : m_inner(inner), m_sha256(std::make_unique<util::Sha256>())
{}

HashingOutput::~HashingOutput() = default;

void HashingOutput::write(std::string_view data)
{
  m_inner.write(data);
  m_sha256->update(data);
  m_size += data.size();
}

void HashingOutput::finish()
{
  m_inner.finish();
  m_sha256_hex = m_sha256->hex();
}

std::string HashingOutput::name() const
{
  return m_inner.name();
}

} // namespace cell0ctl::archive
