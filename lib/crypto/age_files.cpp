// SPDX-License-Identifier: GPL-3.0-or-later
// age::encrypt_file() and age::decrypt_file().
#include "lib/core/error.hpp"
#include "lib/crypto/age.hpp"
#include "lib/crypto/age_common.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace fs = std::filesystem;

namespace cell0ctl::age {

namespace {

// The output of encrypt_file()/decrypt_file(): "<target>.partial" (0600), renamed on commit(),
// removed otherwise.
class PartialFile
{
public:
  explicit PartialFile(const fs::path& target)
      : m_target(target), m_partial(target.string() + ".partial")
  {
    m_out.open(m_partial, std::ios::binary | std::ios::trunc);
    if (!m_out) {
      throw Error(Errc::failed,
                  fmt::format("cannot create {}: {}", m_partial.string(), std::strerror(errno)));
    }
    std::error_code ec;
    fs::permissions(m_partial, fs::perms::owner_read | fs::perms::owner_write, ec);
    if (ec) {
      m_out.close();
      std::error_code ignored;
      fs::remove(m_partial, ignored);
      throw Error(Errc::failed,
                  fmt::format("cannot make {} private: {}", m_partial.string(), ec.message()));
    }
  }
  ~PartialFile()
  {
    if (!m_committed) {
      m_out.close();
      std::error_code ec;
      fs::remove(m_partial, ec);
    }
  }
  PartialFile(const PartialFile&) = delete;
  PartialFile& operator=(const PartialFile&) = delete;

  void write(std::string_view data)
  {
    m_out.write(data.data(), static_cast<std::streamsize>(data.size()));
    check();
  }

  void commit()
  {
    m_out.close();
    check();
    std::error_code ec;
    fs::rename(m_partial, m_target, ec);
    if (ec) {
      throw Error(
          Errc::failed,
          fmt::format(
              "cannot rename {} to {}: {}", m_partial.string(), m_target.string(), ec.message()));
    }
    m_committed = true;
  }

private:
  void check()
  {
    if (!m_out) {
      throw Error(Errc::failed,
                  fmt::format("cannot write {}: {}", m_partial.string(), std::strerror(errno)),
                  "check the free space and permissions of its folder");
    }
  }

  fs::path m_target;
  fs::path m_partial;
  std::ofstream m_out;
  bool m_committed = false;
};

// Feeds the file `path` to `consume`, 64 KiB at a time.
void pump(const fs::path& path, const std::function<void(std::string_view)>& consume)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(Errc::failed, fmt::format("cannot open it: {}", std::strerror(errno)));
  }
  std::vector<char> block(detail::k_chunk_size);
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    consume(std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) {
    throw Error(Errc::failed, fmt::format("cannot read it: {}", std::strerror(errno)));
  }
}

} // namespace

void encrypt_file(const fs::path& in, const fs::path& out, const std::vector<Recipient>& recipients)
{
  try {
    PartialFile output(out);
    Encryptor encryptor(recipients, [&](std::string_view bytes) { output.write(bytes); });
    pump(in, [&](std::string_view data) { encryptor.write(data); });
    encryptor.finish();
    output.commit();
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("encrypting {}: {}", in.string(), e.what()), e.hint());
  }
}

void decrypt_file(const fs::path& in, const fs::path& out, const std::vector<Identity>& identities)
{
  try {
    PartialFile output(out);
    Decryptor decryptor(identities, [&](std::string_view bytes) { output.write(bytes); });
    pump(in, [&](std::string_view data) { decryptor.write(data); });
    decryptor.finish();
    output.commit();
  } catch (const Error& e) {
    throw Error(e.code(), fmt::format("decrypting {}: {}", in.string(), e.what()), e.hint());
  }
}

} // namespace cell0ctl::age
