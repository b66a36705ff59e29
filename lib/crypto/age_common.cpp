// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/crypto/age_common.hpp"

#include "lib/core/error.hpp"

#include <mutex>
#include <utility>

namespace cell0ctl::age::detail {

Bytes as_bytes(std::string_view text)
{
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

std::string_view as_chars(Bytes data)
{
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

void ensure_sodium()
{
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      throw Error(Errc::unknown, "libsodium failed to initialise (no source of randomness?)");
    }
  });
}

std::string printable(std::string_view text, std::size_t max)
{
  std::string out;
  for (const char c : text.substr(0, max)) {
    out += c >= 32 && c < 127 ? c : '?';
  }
  if (text.size() > max) {
    out += "...";
  }
  return out;
}

void fail(const std::string& message, std::string hint)
{
  throw Error(Errc::failed, message, std::move(hint));
}

// --- Primitives ---

Key hkdf_sha256(Bytes ikm, Bytes salt, std::string_view info)
{
  // HMAC pads its key with zeros, so an empty salt is the RFC's HashLen zeros.
  static const unsigned char k_no_salt = 0;
  crypto_auth_hmacsha256_state state;
  Key prk;
  Wiped wipe_prk(prk);
  crypto_auth_hmacsha256_init(&state, salt.empty() ? &k_no_salt : salt.data(), salt.size());
  crypto_auth_hmacsha256_update(&state, ikm.data(), ikm.size());
  crypto_auth_hmacsha256_final(&state, prk.data());

  const unsigned char counter = 1;
  Key okm;
  crypto_auth_hmacsha256_init(&state, prk.data(), prk.size());
  crypto_auth_hmacsha256_update(&state, as_bytes(info).data(), info.size());
  crypto_auth_hmacsha256_update(&state, &counter, 1);
  crypto_auth_hmacsha256_final(&state, okm.data());
  sodium_memzero(&state, sizeof(state));
  return okm;
}

void seal(const Key& key, const AeadNonce& nonce, Bytes plain, unsigned char* out)
{
  unsigned long long size = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(
      out, &size, plain.data(), plain.size(), nullptr, 0, nullptr, nonce.data(), key.data());
}

bool open(const Key& key, const AeadNonce& nonce, Bytes sealed, unsigned char* out)
{
  unsigned long long size = 0;
  return sealed.size() >= k_tag_size
         && crypto_aead_chacha20poly1305_ietf_decrypt(out,
                                                      &size,
                                                      nullptr,
                                                      sealed.data(),
                                                      sealed.size(),
                                                      nullptr,
                                                      0,
                                                      nonce.data(),
                                                      key.data())
                == 0;
}

} // namespace cell0ctl::age::detail
