// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace cell0ctl::util {

// Returns the SHA-256 digest of `data` as 64 lower-case hex digits (OpenSSL EVP).
std::string sha256_hex(std::string_view data);

// Writes the 32-byte SHA-256 digest of `data` to `out`.
void sha256_digest(std::string_view data, unsigned char (&out)[32]);

// The SHA-256 of the file at `path` as 64 hex digits, read in 1 MiB pieces; nothing when it
// cannot be read to its end.
std::optional<std::string> file_sha256(const std::filesystem::path& path);

} // namespace cell0ctl::util

#include <memory>

namespace cell0ctl::util {

// SHA-256 over data given in pieces (OpenSSL EVP, which uses the CPU's SHA extensions).
class Sha256
{
public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(std::string_view data);
  // The digest as 64 hex digits; the object can be used again after it.
  std::string hex();
  // The digest of what was given so far, leaving the object to go on with more data.
  std::string hex_so_far() const;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace cell0ctl::util
