// SPDX-License-Identifier: GPL-3.0-or-later
// The age header: its lines and stanzas, written and read, and the X25519 wrapping of the file
// key in a recipient stanza.
#include "lib/core/error.hpp"
#include "lib/crypto/age_common.hpp"
#include "lib/crypto/base64.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

namespace cell0ctl::age::detail {

namespace {

constexpr std::string_view k_armor_begin = "-----BEGIN AGE ENCRYPTED FILE-----";
constexpr std::string_view k_x25519_label = "age-encryption.org/v1/X25519";
constexpr std::size_t k_columns = 64; // base64 characters in a full stanza body line

Key wrap_key(const Key& shared, const Key& share, const Key& recipient)
{
  std::array<unsigned char, 2 * k_key_size> salt;
  std::copy(share.begin(), share.end(), salt.begin());
  std::copy(recipient.begin(), recipient.end(), salt.begin() + k_key_size);
  return hkdf_sha256(shared, salt, k_x25519_label);
}

// "-> arguments" and the body, wrapped at 64 columns and ending with a short (maybe empty) line.
std::string stanza_text(std::string_view arguments, Bytes body)
{
  std::string out = fmt::format("-> {}\n", arguments);
  const std::string encoded = encode_base64(body);
  for (std::size_t at = 0;; at += k_columns) {
    const std::string_view line = std::string_view(encoded).substr(at, k_columns);
    out += line;
    out += '\n';
    if (line.size() < k_columns) {
      return out;
    }
  }
}

std::string x25519_stanza(const FileKey& file_key, const Recipient& recipient)
{
  Key ephemeral;
  Wiped wipe_ephemeral(ephemeral);
  randombytes_buf(ephemeral.data(), ephemeral.size());
  Key share;
  Key shared;
  Wiped wipe_shared(shared);
  if (crypto_scalarmult_base(share.data(), ephemeral.data()) != 0
      || crypto_scalarmult(shared.data(), ephemeral.data(), recipient.public_key.data()) != 0) {
    throw Error(Errc::usage,
                fmt::format("recipient '{}' is not a usable X25519 public key (a low-order point)",
                            printable(format_recipient(recipient), 12)),
                "check the recipient, or ask its owner for a new one");
  }
  Key key = wrap_key(shared, share, recipient.public_key);
  Wiped wipe_key(key);
  std::array<unsigned char, k_file_key_size + k_tag_size> body;
  seal(key, AeadNonce{}, file_key, body.data());
  return stanza_text(fmt::format("X25519 {}", encode_base64(share)), body);
}

bool is_argument(std::string_view argument)
{
  return !argument.empty() && std::all_of(argument.begin(), argument.end(), [](char c) {
    return c >= 33 && c <= 126;
  });
}

// The ephemeral share of an X25519 stanza; the stanza must be well-formed (c2sp.org/age).
Key x25519_share(const Stanza& stanza)
{
  std::optional<std::vector<unsigned char>> share;
  if (stanza.arguments.size() == 2) {
    share = decode_base64(stanza.arguments[1]);
  }
  if (!share || share->size() != k_key_size || stanza.body.size() != k_file_key_size + k_tag_size) {
    fail("age header: malformed X25519 stanza (it needs one canonical base64 share of 32 bytes "
         "and a body of 32 bytes)",
         "the file is damaged, or was not written by an age implementation");
  }
  Key out;
  std::copy(share->begin(), share->end(), out.begin());
  return out;
}

std::optional<FileKey> unwrap_x25519(const KeyPair& pair, const Key& share, Bytes body)
{
  Key shared;
  Wiped wipe_shared(shared);
  if (crypto_scalarmult(shared.data(), pair.identity.secret_key.data(), share.data()) != 0
      || sodium_is_zero(shared.data(), shared.size()) != 0) {
    fail("age header: an X25519 stanza has a low-order share, which gives no shared secret",
         "the file is damaged or was crafted; it cannot be decrypted");
  }
  Key key = wrap_key(shared, share, pair.recipient.public_key);
  Wiped wipe_key(key);
  FileKey file_key;
  if (!open(key, AeadNonce{}, body, file_key.data())) {
    return std::nullopt; // wrapped for someone else
  }
  return file_key;
}

} // namespace

// --- Written ---

Key header_mac(const FileKey& file_key, std::string_view header)
{
  Key mac_key = hkdf_sha256(file_key, {}, "header");
  Wiped wipe_key(mac_key);
  Key mac;
  crypto_auth_hmacsha256_state state;
  crypto_auth_hmacsha256_init(&state, mac_key.data(), mac_key.size());
  crypto_auth_hmacsha256_update(&state, as_bytes(header).data(), header.size());
  crypto_auth_hmacsha256_final(&state, mac.data());
  sodium_memzero(&state, sizeof(state));
  return mac;
}

std::string write_header(const FileKey& file_key, const std::vector<Recipient>& recipients)
{
  std::string header = fmt::format("{}\n", k_intro);
  for (const Recipient& recipient : recipients) {
    header += x25519_stanza(file_key, recipient);
  }
  header += "---";
  header += ' ' + encode_base64(header_mac(file_key, header)) + '\n';
  return header;
}

// --- Read ---

[[noreturn]] void fail_malformed(std::string_view what, std::string_view line)
{
  fail(fmt::format("age header: {}: '{}'", what, printable(line, 40)),
       "the file is damaged, or was not written by an age implementation");
}

void check_start(std::string_view start)
{
  const std::size_t n = std::min(start.size(), k_version_prefix.size());
  if (start.substr(0, n) == k_version_prefix.substr(0, n)) {
    return;
  }
  const std::size_t m = std::min(start.size(), k_armor_begin.size());
  if (start.substr(0, m) != k_armor_begin.substr(0, m)) {
    fail("not an age file (it does not start with 'age-encryption.org/')");
  }
  if (m == k_armor_begin.size()) {
    fail("the age file is ASCII-armored (age -a), which cell0ctl does not read",
         "convert it first: age -d ... | age -r RECIPIENT, or decrypt it with age");
  }
}

void check_intro(std::string_view line)
{
  if (line != k_intro) {
    fail(fmt::format("age header: unsupported version '{}', expected 'v1'",
                     printable(line.substr(k_version_prefix.size()), 20)),
         "decrypt it with a newer version of age");
  }
}

Stanza parse_arguments(std::string_view line)
{
  if (!line.starts_with("-> ")) {
    fail_malformed("malformed stanza line", line);
  }
  Stanza stanza;
  std::string_view rest = line.substr(3);
  for (;;) {
    const std::size_t space = rest.find(' ');
    const std::string_view argument = rest.substr(0, space);
    if (!is_argument(argument)) {
      fail_malformed("malformed stanza line", line);
    }
    stanza.arguments.emplace_back(argument);
    if (space == rest.npos) {
      return stanza;
    }
    rest.remove_prefix(space + 1);
  }
}

bool add_body_line(Stanza& stanza, std::string_view line)
{
  const std::optional<std::vector<unsigned char>> decoded = decode_base64(line);
  if (line.size() > k_columns || !decoded) {
    fail_malformed("malformed stanza body line (64-column canonical base64 expected)", line);
  }
  stanza.body.insert(stanza.body.end(), decoded->begin(), decoded->end());
  return line.size() < k_columns;
}

Key parse_mac_line(std::string_view line)
{
  std::optional<std::vector<unsigned char>> mac;
  if (line.starts_with("--- ")) {
    mac = decode_base64(line.substr(4));
  }
  if (!mac || mac->size() != k_key_size) {
    fail_malformed("malformed MAC line", line);
  }
  Key out;
  std::copy(mac->begin(), mac->end(), out.begin());
  return out;
}

FileKey unwrap(const std::vector<Stanza>& stanzas, const std::vector<KeyPair>& pairs)
{
  // An scrypt (passphrase) stanza must be alone, so that a passphrase authenticates the file.
  const bool scrypt = std::any_of(stanzas.begin(), stanzas.end(), [](const Stanza& stanza) {
    return stanza.arguments[0] == "scrypt";
  });
  if (scrypt && stanzas.size() > 1) {
    fail("age header: an scrypt stanza is mixed with other stanzas, which age forbids");
  }
  if (scrypt) {
    fail("the age file is encrypted with a passphrase, which cell0ctl does not support",
         "decrypt it with `age -d`");
  }
  // Stanzas of other types (other recipients' plugins, "grease") are skipped.
  for (const Stanza& stanza : stanzas) {
    if (stanza.arguments[0] != "X25519") {
      continue;
    }
    const Key share = x25519_share(stanza);
    for (const KeyPair& pair : pairs) {
      if (const std::optional<FileKey> file_key = unwrap_x25519(pair, share, stanza.body)) {
        return *file_key;
      }
    }
  }
  fail(fmt::format("age header: no identity matches any of the file's {} recipient stanzas",
                   stanzas.size()),
       "decrypt with the identity whose public key (age1...) the file was encrypted to");
}

} // namespace cell0ctl::age::detail
