// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the parts of the age implementation share; not part of its API. age_common.cpp holds the
// primitives, age_header.cpp the header format and X25519 wrapping, age_keys.cpp the keys and
// key files, age_payload.cpp the Encryptor and Decryptor, age_files.cpp the file helpers.

#include "lib/crypto/age.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <sodium.h>

namespace cell0ctl::age::detail {

constexpr std::string_view k_intro = "age-encryption.org/v1";
constexpr std::string_view k_version_prefix = "age-encryption.org/";

constexpr std::size_t k_key_size = 32;
constexpr std::size_t k_file_key_size = 16;
constexpr std::size_t k_tag_size = crypto_aead_chacha20poly1305_ietf_ABYTES;
constexpr std::size_t k_payload_nonce_size = 16;
constexpr std::size_t k_chunk_size = 64 * 1024;
constexpr std::size_t k_sealed_chunk_size = k_chunk_size + k_tag_size;
constexpr std::size_t k_max_header_size = 1024 * 1024;

using Key = std::array<unsigned char, k_key_size>;
using FileKey = std::array<unsigned char, k_file_key_size>;
using AeadNonce = std::array<unsigned char, crypto_aead_chacha20poly1305_ietf_NPUBBYTES>;
using Bytes = std::span<const unsigned char>;

static_assert(k_tag_size == 16 && std::tuple_size_v<AeadNonce> == 12);

// Wipes a buffer that held a secret when the scope ends, however it ends.
template <typename Buffer> class Wiped
{
public:
  explicit Wiped(Buffer& buffer) : m_buffer(buffer) {}
  ~Wiped() { sodium_memzero(m_buffer.data(), m_buffer.size()); }
  Wiped(const Wiped&) = delete;
  Wiped& operator=(const Wiped&) = delete;

private:
  Buffer& m_buffer;
};

// --- age_common.cpp ---

Bytes as_bytes(std::string_view text);
std::string_view as_chars(Bytes data);

// Initialises libsodium once. Throws Error(Errc::unknown) when it cannot.
void ensure_sodium();

// Untrusted text, cut to `max` characters and made printable, for an error message.
std::string printable(std::string_view text, std::size_t max);

// Throws Error(Errc::failed).
[[noreturn]] void fail(const std::string& message, std::string hint = {});

// HKDF-SHA-256 (RFC 5869) with 32 bytes of output, the only length age uses.
Key hkdf_sha256(Bytes ikm, Bytes salt, std::string_view info);

// ChaCha20-Poly1305: writes plain.size() + 16 bytes to `out`.
void seal(const Key& key, const AeadNonce& nonce, Bytes plain, unsigned char* out);

// Writes sealed.size() - 16 bytes to `out` when `sealed` is authentic; false otherwise.
bool open(const Key& key, const AeadNonce& nonce, Bytes sealed, unsigned char* out);

// --- age_header.cpp ---

// The header of a new file up to its MAC line, included: the version line, one X25519 stanza
// per recipient wrapping `file_key`, and the MAC. Throws Error(Errc::usage) for a recipient
// that is not a usable X25519 point.
std::string write_header(const FileKey& file_key, const std::vector<Recipient>& recipients);

// The HMAC that the "---" line carries, over `header` up to "---" included.
Key header_mac(const FileKey& file_key, std::string_view header);

struct Stanza
{
  std::vector<std::string> arguments; // the first is the type: "X25519"
  std::vector<unsigned char> body;
};

struct KeyPair
{
  Identity identity;
  Recipient recipient;
};

// Throws Error(Errc::failed) for a malformed header `line`, quoting its start.
[[noreturn]] void fail_malformed(std::string_view what, std::string_view line);

// Checks the first bytes as they arrive, so that other input fails fast.
void check_start(std::string_view start);

// Checks the version line.
void check_intro(std::string_view line);

// "-> X25519 share": one or more non-empty arguments of printable ASCII, one space apart.
Stanza parse_arguments(std::string_view line);

// Adds a body line; returns true for the final (short) one.
bool add_body_line(Stanza& stanza, std::string_view line);

// The MAC of a "--- MAC" line.
Key parse_mac_line(std::string_view line);

// The file key that one of `stanzas` wraps for one of `pairs`. Throws Error(Errc::failed) when
// none does ("no identity matches"), or for a malformed X25519 stanza.
FileKey unwrap(const std::vector<Stanza>& stanzas, const std::vector<KeyPair>& pairs);

} // namespace cell0ctl::age::detail
