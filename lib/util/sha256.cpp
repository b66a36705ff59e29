// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/util/sha256.hpp"

#include <openssl/evp.h>

#include <array>
#include <fstream>
#include <memory>
#include <vector>

namespace cell0ctl::util {

namespace {

std::string to_hex(const unsigned char* digest, unsigned int length)
{
  static constexpr char k_hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out += k_hex[digest[i] >> 4];
    out += k_hex[digest[i] & 0xf];
  }
  return out;
}

} // namespace

std::string sha256_hex(std::string_view data)
{
  unsigned char digest[32];
  sha256_digest(data, digest);
  return to_hex(digest, sizeof digest);
}

void sha256_digest(std::string_view data, unsigned char (&out)[32])
{
  unsigned int length = 0;
  EVP_Digest(data.data(), data.size(), out, &length, EVP_sha256(), nullptr);
}

struct Sha256::State
{
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : m_state(std::make_unique<State>())
{
  EVP_DigestInit_ex(m_state->ctx, EVP_sha256(), nullptr);
}

Sha256::~Sha256() = default;

void Sha256::update(std::string_view data)
{
  EVP_DigestUpdate(m_state->ctx, data.data(), data.size());
}

std::string Sha256::hex()
{
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(m_state->ctx, digest.data(), &length);
  EVP_DigestInit_ex(m_state->ctx, EVP_sha256(), nullptr);
  return to_hex(digest.data(), length);
}

std::string Sha256::hex_so_far() const
{
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> copy(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  EVP_MD_CTX_copy_ex(copy.get(), m_state->ctx);
  EVP_DigestFinal_ex(copy.get(), digest.data(), &length);
  return to_hex(digest.data(), length);
}

std::optional<std::string> file_sha256(const std::filesystem::path& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  Sha256 sha;
  std::vector<char> block(1u << 20u);
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    sha.update(std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) {
    return std::nullopt;
  }
  return sha.hex();
}

} // namespace cell0ctl::util
