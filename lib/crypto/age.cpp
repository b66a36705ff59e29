// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/crypto/age.hpp"

#include "lib/core/error.hpp"
#include "lib/crypto/base64.hpp"
#include "lib/crypto/bech32.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>
#include <span>
#include <utility>

#include <sodium.h>

namespace fs = std::filesystem;

namespace cell0ctl::age {

namespace {

constexpr std::string_view k_intro = "age-encryption.org/v1";
constexpr std::string_view k_version_prefix = "age-encryption.org/";
constexpr std::string_view k_armor_begin = "-----BEGIN AGE ENCRYPTED FILE-----";
constexpr std::string_view k_x25519_label = "age-encryption.org/v1/X25519";
constexpr std::string_view k_recipient_hrp = "age";
constexpr std::string_view k_identity_hrp = "AGE-SECRET-KEY-";

constexpr std::size_t k_key_size = 32;
constexpr std::size_t k_file_key_size = 16;
constexpr std::size_t k_tag_size = crypto_aead_chacha20poly1305_ietf_ABYTES;
constexpr std::size_t k_payload_nonce_size = 16;
constexpr std::size_t k_chunk_size = 64 * 1024;
constexpr std::size_t k_sealed_chunk_size = k_chunk_size + k_tag_size;
constexpr std::size_t k_columns = 64; // base64 characters in a full stanza body line
constexpr std::size_t k_max_header_size = 1024 * 1024;
constexpr std::size_t k_max_key_file_size = 16 * 1024 * 1024; // as `age` itself

constexpr std::string_view k_recipient_hint =
    "a recipient is the age1... line that `age-keygen -y IDENTITY_FILE` prints";
constexpr std::string_view k_identity_hint =
    "an identity is the AGE-SECRET-KEY-1... line of a file made by `age-keygen`";

using Key = std::array<unsigned char, k_key_size>;
using FileKey = std::array<unsigned char, k_file_key_size>;
using AeadNonce = std::array<unsigned char, crypto_aead_chacha20poly1305_ietf_NPUBBYTES>;
using Bytes = std::span<const unsigned char>;

static_assert(k_tag_size == 16 && std::tuple_size_v<AeadNonce> == 12);

Bytes as_bytes(std::string_view text)
{
  return {reinterpret_cast<const unsigned char*>(text.data()), text.size()};
}

std::string_view as_chars(Bytes data)
{
  return {reinterpret_cast<const char*>(data.data()), data.size()};
}

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

void ensure_sodium()
{
  static std::once_flag once;
  std::call_once(once, [] {
    if (sodium_init() < 0) {
      throw Error(Errc::unknown, "libsodium failed to initialise (no source of randomness?)");
    }
  });
}

// Untrusted text, cut to `max` characters and made printable, for an error message.
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

// How a secret key that does not parse is named: its length and, if it has one, its
// "AGE-...-1" prefix, but none of the key itself.
std::string describe_secret(std::string_view text)
{
  const std::size_t separator = text.rfind('1');
  if (separator != text.npos && separator < 40
      && (text.starts_with("AGE-") || text.starts_with("age-"))) {
    const std::string_view prefix = text.substr(0, separator + 1);
    if (prefix.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-1")
        == prefix.npos) {
      return fmt::format("identity '{}...' ({} characters)", prefix, text.size());
    }
  }
  return fmt::format("identity ({} characters, not of the form AGE-SECRET-KEY-1...)", text.size());
}

// --- Primitives ---

// HKDF-SHA-256 (RFC 5869) with 32 bytes of output, the only length age uses.
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

// ChaCha20-Poly1305: writes plain.size() + 16 bytes to `out`.
void seal(const Key& key, const AeadNonce& nonce, Bytes plain, unsigned char* out)
{
  unsigned long long size = 0;
  crypto_aead_chacha20poly1305_ietf_encrypt(
      out, &size, plain.data(), plain.size(), nullptr, 0, nullptr, nonce.data(), key.data());
}

// Writes sealed.size() - 16 bytes to `out` when `sealed` is authentic; false otherwise.
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

// The STREAM nonce of chunk `counter`: an 11-byte big-endian counter, then the last-chunk flag.
AeadNonce chunk_nonce(std::uint64_t counter, bool last)
{
  AeadNonce nonce{};
  for (std::size_t i = 0; i < sizeof(counter); ++i) {
    nonce[10 - i] = static_cast<unsigned char>(counter >> (8 * i));
  }
  nonce[11] = last ? 1 : 0;
  return nonce;
}

Key wrap_key(const Key& shared, const Key& share, const Key& recipient)
{
  std::array<unsigned char, 2 * k_key_size> salt;
  std::copy(share.begin(), share.end(), salt.begin());
  std::copy(recipient.begin(), recipient.end(), salt.begin() + k_key_size);
  return hkdf_sha256(shared, salt, k_x25519_label);
}

// --- Header, written ---

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

// --- Header, read ---

struct Stanza
{
  std::vector<std::string> arguments; // the first is the type: "X25519"
  std::vector<unsigned char> body;
};

[[noreturn]] void fail(const std::string& message, std::string hint = {})
{
  throw Error(Errc::failed, message, std::move(hint));
}

[[noreturn]] void fail_malformed(std::string_view what, std::string_view line)
{
  fail(fmt::format("age header: {}: '{}'", what, printable(line, 40)),
       "the file is damaged, or was not written by an age implementation");
}

// Checks the first bytes as they arrive, so that other input fails fast.
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

bool is_argument(std::string_view argument)
{
  return !argument.empty() && std::all_of(argument.begin(), argument.end(), [](char c) {
    return c >= 33 && c <= 126;
  });
}

// "-> X25519 share": one or more non-empty arguments of printable ASCII, one space apart.
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

// Adds a body line; returns true for the final (short) one.
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

struct KeyPair
{
  Identity identity;
  Recipient recipient;
};

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

// --- Files ---

// Appends to a string that holds a secret without leaving copies behind in freed memory.
void append_wiping(std::string& text, std::string_view more)
{
  if (text.size() + more.size() > text.capacity()) {
    std::string bigger;
    bigger.reserve(std::max(2 * text.capacity(), text.size() + more.size()));
    bigger = text;
    sodium_memzero(text.data(), text.size());
    text.swap(bigger);
  }
  text += more;
}

// Reads a key file (at most 16 MiB), without stream buffering, so that only `text` holds it.
std::string read_key_file(const fs::path& path, std::string_view what)
{
  std::ifstream in;
  in.rdbuf()->pubsetbuf(nullptr, 0);
  in.open(path, std::ios::binary);
  if (!in) {
    throw Error(
        Errc::failed,
        fmt::format("cannot read {} file {}: {}", what, path.string(), std::strerror(errno)));
  }
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  std::string text;
  text.reserve(ec ? 4096 : std::min<std::uintmax_t>(size, k_max_key_file_size) + 1);
  std::array<char, 4096> block;
  Wiped wipe_block(block);
  while (in.read(block.data(), block.size()) || in.gcount() > 0) {
    const auto count = static_cast<std::size_t>(in.gcount());
    if (text.size() + count > k_max_key_file_size) {
      sodium_memzero(text.data(), text.size());
      throw Error(Errc::usage,
                  fmt::format("{} file {} is larger than 16 MiB", what, path.string()),
                  "give the file that age-keygen wrote");
    }
    append_wiping(text, std::string_view(block.data(), count));
  }
  if (in.bad()) {
    sodium_memzero(text.data(), text.size());
    throw Error(
        Errc::failed,
        fmt::format("cannot read {} file {}: {}", what, path.string(), std::strerror(errno)));
  }
  return text;
}

// One key per line; empty lines and lines starting with '#' are skipped, as `age` does.
template <typename T, typename Parse>
std::vector<T> parse_key_lines(const fs::path& path,
                               std::string_view text,
                               std::string_view what,
                               Parse parse)
{
  std::vector<T> keys;
  std::size_t number = 0;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == text.npos ? std::string_view() : text.substr(end + 1);
    ++number;
    if (line.ends_with('\r')) {
      line.remove_suffix(1);
    }
    if (line.empty() || line.starts_with('#')) {
      continue;
    }
    try {
      keys.push_back(parse(line));
    } catch (const Error& e) {
      throw Error(e.code(), fmt::format("{}:{}: {}", path.string(), number, e.what()), e.hint());
    }
  }
  if (keys.empty()) {
    throw Error(Errc::usage, fmt::format("{}: no {} found", path.string(), what));
  }
  return keys;
}

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
  std::vector<char> block(k_chunk_size);
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    consume(std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
  }
  if (in.bad()) {
    throw Error(Errc::failed, fmt::format("cannot read it: {}", std::strerror(errno)));
  }
}

} // namespace

// --- Keys ---

Identity::~Identity()
{
  sodium_memzero(secret_key.data(), secret_key.size());
}

Recipient Identity::recipient() const
{
  ensure_sodium();
  Recipient out;
  if (crypto_scalarmult_base(out.public_key.data(), secret_key.data()) != 0) {
    throw Error(Errc::usage, "an identity has a secret key that gives no public key");
  }
  return out;
}

Recipient parse_recipient(std::string_view text)
{
  const auto refuse = [&](std::string_view why) {
    throw Error(Errc::usage,
                fmt::format("recipient '{}': {}", printable(text, 12), why),
                std::string(k_recipient_hint));
  };
  if (text.starts_with("ssh-") || text.starts_with("ecdsa-")) {
    refuse("SSH keys are not supported, only age X25519 recipients");
  }
  Bech32 decoded;
  try {
    decoded = decode_bech32(text);
  } catch (const Error& e) {
    refuse(e.what());
  }
  if (decoded.hrp == "AGE") {
    refuse("age recipients are written in lower case");
  }
  if (decoded.hrp.starts_with("age1")) {
    refuse(fmt::format("'{}' recipients (plugins, post-quantum keys) are not supported, only "
                       "X25519 ones",
                       printable(decoded.hrp, 20)));
  }
  if (decoded.hrp != k_recipient_hrp) {
    refuse("not an age recipient (age1...)");
  }
  if (decoded.data.size() != k_key_size) {
    refuse(fmt::format("a key of {} bytes, expected 32", decoded.data.size()));
  }
  Recipient out;
  std::copy(decoded.data.begin(), decoded.data.end(), out.public_key.begin());
  return out;
}

Identity parse_identity(std::string_view text)
{
  const auto refuse = [&](std::string_view why) {
    throw Error(Errc::usage,
                fmt::format("{}: {}", describe_secret(text), why),
                std::string(k_identity_hint));
  };
  Bech32 decoded;
  try {
    decoded = decode_bech32(text);
  } catch (const Error& e) {
    refuse(e.what());
  }
  Wiped wipe_data(decoded.data);
  if (decoded.hrp == "age-secret-key-") {
    refuse("secret keys are written in upper case");
  }
  if (decoded.hrp.starts_with("AGE-PLUGIN-") || decoded.hrp.starts_with("AGE-SECRET-KEY-PQ-")) {
    refuse("plugin and post-quantum identities are not supported, only X25519 ones");
  }
  if (decoded.hrp != k_identity_hrp) {
    refuse("not an age identity (AGE-SECRET-KEY-1...)");
  }
  if (decoded.data.size() != k_key_size) {
    refuse(fmt::format("a key of {} bytes, expected 32", decoded.data.size()));
  }
  Identity out;
  std::copy(decoded.data.begin(), decoded.data.end(), out.secret_key.begin());
  return out;
}

std::vector<Recipient> read_recipients_file(const fs::path& path)
{
  const std::string text = read_key_file(path, "recipients");
  return parse_key_lines<Recipient>(path, text, "recipients", parse_recipient);
}

std::vector<Identity> read_identity_file(const fs::path& path)
{
  std::string text = read_key_file(path, "identity");
  Wiped wipe_text(text);
  return parse_key_lines<Identity>(path, text, "identities", [](std::string_view line) {
    if (line.starts_with(k_version_prefix)) {
      throw Error(Errc::usage,
                  "an encrypted identity file, which cell0ctl cannot decrypt",
                  "give an identity file as age-keygen writes it");
    }
    if (line.starts_with("-----BEGIN")) {
      throw Error(Errc::usage,
                  "an SSH or PEM private key, which cell0ctl does not support",
                  "make an age identity with `age-keygen -o FILE`");
    }
    return parse_identity(line);
  });
}

Identity generate_identity()
{
  ensure_sodium();
  Identity out;
  randombytes_buf(out.secret_key.data(), out.secret_key.size());
  return out;
}

std::string format_recipient(const Recipient& recipient)
{
  return encode_bech32(k_recipient_hrp, recipient.public_key);
}

std::string format_identity(const Identity& identity)
{
  return encode_bech32(k_identity_hrp, identity.secret_key);
}

// --- Encryptor ---

struct Encryptor::State
{
  Sink sink;
  Key payload_key{};
  std::uint64_t chunk = 0;
  std::string plain;  // waiting plaintext, at most one chunk
  std::string sealed; // the chunk being sent
  bool finished = false;
  bool broken = false;

  ~State()
  {
    sodium_memzero(payload_key.data(), payload_key.size());
    sodium_memzero(plain.data(), plain.size());
  }

  void check_usable() const
  {
    if (broken || finished) {
      throw Error(Errc::unknown,
                  broken ? "age: encryptor used after an error"
                         : "age: encryptor used after finish()");
    }
  }

  void seal_chunk(bool last)
  {
    seal(payload_key,
         chunk_nonce(chunk, last),
         as_bytes(plain),
         reinterpret_cast<unsigned char*>(sealed.data()));
    ++chunk;
    const std::size_t size = plain.size() + k_tag_size;
    plain.clear();
    sink(std::string_view(sealed).substr(0, size));
  }
};

Encryptor::Encryptor(std::vector<Recipient> recipients, Sink sink)
    : m_state(std::make_unique<State>())
{
  ensure_sodium();
  if (recipients.empty()) {
    throw Error(Errc::usage, "age: no recipients to encrypt to", "give at least one age1... key");
  }
  FileKey file_key;
  Wiped wipe_file_key(file_key);
  randombytes_buf(file_key.data(), file_key.size());

  std::string header = fmt::format("{}\n", k_intro);
  for (const Recipient& recipient : recipients) {
    header += x25519_stanza(file_key, recipient);
  }
  header += "---";
  header += ' ' + encode_base64(header_mac(file_key, header)) + '\n';

  std::array<unsigned char, k_payload_nonce_size> nonce;
  randombytes_buf(nonce.data(), nonce.size());
  header += as_chars(nonce);
  m_state->payload_key = hkdf_sha256(file_key, nonce, "payload");
  m_state->plain.reserve(k_chunk_size);
  m_state->sealed.resize(k_sealed_chunk_size);
  m_state->sink = std::move(sink);
  m_state->sink(header);
}

Encryptor::~Encryptor() = default;
Encryptor::Encryptor(Encryptor&&) noexcept = default;
Encryptor& Encryptor::operator=(Encryptor&&) noexcept = default;

void Encryptor::write(std::string_view data)
{
  if (!m_state) {
    throw Error(Errc::unknown, "age: encryptor used after a move");
  }
  State& state = *m_state;
  state.check_usable();
  try {
    while (!data.empty()) {
      // A full chunk is sent once more data shows it is not the last one, so that a stream of
      // exactly 64 KiB ends with a full final chunk, as age writes it.
      if (state.plain.size() == k_chunk_size) {
        state.seal_chunk(false);
      }
      const std::size_t take = std::min(data.size(), k_chunk_size - state.plain.size());
      state.plain.append(data.substr(0, take));
      data.remove_prefix(take);
    }
  } catch (...) {
    state.broken = true;
    throw;
  }
}

void Encryptor::finish()
{
  if (!m_state) {
    throw Error(Errc::unknown, "age: encryptor used after a move");
  }
  State& state = *m_state;
  state.check_usable();
  try {
    state.seal_chunk(true);
  } catch (...) {
    state.broken = true;
    throw;
  }
  state.finished = true;
  sodium_memzero(state.payload_key.data(), state.payload_key.size());
}

// --- Decryptor ---

namespace {

enum class Phase {
  intro,   // the version line
  stanzas, // between stanzas: "->" or "---" next
  body,    // inside a stanza's body
  nonce,   // the payload nonce
  payload, // the chunks
  done,
  broken,
};

} // namespace

struct Decryptor::State
{
  std::vector<KeyPair> pairs;
  Sink sink;
  Phase phase = Phase::intro;
  std::string header;         // as read so far, at most k_max_header_size bytes
  std::size_t line_start = 0; // of the line being read in `header`
  std::vector<Stanza> stanzas;
  FileKey file_key{};
  std::string nonce;
  Key payload_key{};
  std::uint64_t chunk = 0;
  std::string pending; // sealed bytes of the chunk being read
  std::string plain;   // the last chunk opened
  std::size_t plain_size = 0;

  ~State()
  {
    sodium_memzero(file_key.data(), file_key.size());
    sodium_memzero(payload_key.data(), payload_key.size());
    sodium_memzero(plain.data(), plain.size());
  }

  // Consumes header bytes from `data`; returns the bytes after the header.
  std::string_view read_header(std::string_view data)
  {
    while (!data.empty()
           && (phase == Phase::intro || phase == Phase::stanzas || phase == Phase::body)) {
      const std::size_t newline = data.find('\n');
      const std::size_t take = newline == data.npos ? data.size() : newline + 1;
      if (header.size() + take > k_max_header_size) {
        fail("age header: longer than 1 MiB; the file is damaged or not an age file");
      }
      header.append(data.substr(0, take));
      data.remove_prefix(take);
      if (phase == Phase::intro) {
        check_start(header);
      }
      if (newline != std::string_view::npos) {
        const std::size_t start = line_start;
        line_start = header.size();
        read_line(std::string_view(header).substr(start, header.size() - 1 - start), start);
      }
    }
    return data;
  }

  void read_line(std::string_view line, std::size_t start)
  {
    switch (phase) {
    case Phase::intro:
      check_intro(line);
      phase = Phase::stanzas;
      break;
    case Phase::stanzas:
      if (line.starts_with("---")) {
        end_header(parse_mac_line(line), start + 3);
      } else if (line.starts_with("->")) {
        stanzas.push_back(parse_arguments(line));
        phase = Phase::body;
      } else {
        fail_malformed("unexpected line", line);
      }
      break;
    case Phase::body:
      if (add_body_line(stanzas.back(), line)) {
        phase = Phase::stanzas;
      }
      break;
    default:
      break;
    }
  }

  // Finds the file key and checks the MAC, which covers the header up to "---".
  void end_header(const Key& mac, std::size_t mac_end)
  {
    if (stanzas.empty()) {
      fail("age header: no recipient stanzas");
    }
    file_key = unwrap(stanzas, pairs);
    const Key expected = header_mac(file_key, std::string_view(header).substr(0, mac_end));
    if (crypto_verify_32(expected.data(), mac.data()) != 0) {
      fail("age header: the header MAC does not match; the header was modified or damaged");
    }
    stanzas.clear();
    header.clear();
    header.shrink_to_fit();
    line_start = 0;
    phase = Phase::nonce;
  }

  std::string_view read_nonce(std::string_view data)
  {
    const std::size_t take = std::min(data.size(), k_payload_nonce_size - nonce.size());
    nonce.append(data.substr(0, take));
    if (nonce.size() == k_payload_nonce_size) {
      payload_key = hkdf_sha256(file_key, as_bytes(nonce), "payload");
      sodium_memzero(file_key.data(), file_key.size());
      phase = Phase::payload;
    }
    return data.substr(take);
  }

  void read_payload(std::string_view data)
  {
    while (!data.empty()) {
      // More data follows a full chunk, so it is not the last one.
      if (pending.size() == k_sealed_chunk_size) {
        open_middle_chunk();
      }
      const std::size_t take = std::min(data.size(), k_sealed_chunk_size - pending.size());
      pending.append(data.substr(0, take));
      data.remove_prefix(take);
    }
  }

  bool open_pending(bool last)
  {
    if (!open(payload_key,
              chunk_nonce(chunk, last),
              as_bytes(pending),
              reinterpret_cast<unsigned char*>(plain.data()))) {
      return false;
    }
    plain_size = pending.size() - k_tag_size;
    return true;
  }

  void deliver()
  {
    ++chunk;
    pending.clear();
    sink(std::string_view(plain).substr(0, plain_size));
  }

  [[noreturn]] void fail_chunk() const
  {
    fail(fmt::format("age payload: chunk {} fails authentication; the file was modified or "
                     "damaged",
                     chunk + 1));
  }

  void open_middle_chunk()
  {
    if (open_pending(false)) {
      deliver();
      return;
    }
    if (open_pending(true)) {
      fail(fmt::format("age payload: data follows the final chunk ({}); the file was modified "
                       "or damaged",
                       chunk + 1));
    }
    fail_chunk();
  }

  void open_last_chunk()
  {
    if (pending.empty()) {
      fail(chunk == 0 ? std::string("age payload: truncated, there is no chunk after the nonce")
                      : fmt::format("age payload: truncated after chunk {}, before the final "
                                    "chunk",
                                    chunk));
    }
    if (pending.size() < k_tag_size) {
      fail(fmt::format("age payload: truncated inside chunk {}", chunk + 1));
    }
    if (!open_pending(true)) {
      if (pending.size() == k_sealed_chunk_size && open_pending(false)) {
        fail(fmt::format("age payload: truncated after chunk {}, before the final chunk",
                         chunk + 1));
      }
      fail_chunk();
    }
    if (plain_size == 0 && chunk > 0) {
      fail("age payload: the final chunk is empty, which the age format forbids",
           "age v1.0.0 accepted such files; decrypt it with that version");
    }
    deliver();
  }

  void finish()
  {
    switch (phase) {
    case Phase::intro:
      fail(header.empty() ? "not an age file (it is empty)"
                          : "not an age file (it ends inside its first line)");
    case Phase::stanzas:
    case Phase::body:
      fail("age header: truncated, the file ends inside the header");
    case Phase::nonce:
      fail("age payload: truncated, the file ends inside the payload nonce");
    default:
      open_last_chunk();
    }
  }
};

Decryptor::Decryptor(std::vector<Identity> identities, Sink sink)
    : m_state(std::make_unique<State>())
{
  ensure_sodium();
  if (identities.empty()) {
    throw Error(Errc::usage, "age: no identities to decrypt with", "give an identity file");
  }
  m_state->pairs.reserve(identities.size());
  for (const Identity& identity : identities) {
    m_state->pairs.push_back(KeyPair{identity, identity.recipient()});
  }
  m_state->sink = std::move(sink);
  m_state->pending.reserve(k_sealed_chunk_size);
  m_state->plain.resize(k_chunk_size);
}

Decryptor::~Decryptor() = default;
Decryptor::Decryptor(Decryptor&&) noexcept = default;
Decryptor& Decryptor::operator=(Decryptor&&) noexcept = default;

namespace {

// Runs a step of `state`, which is unusable afterwards if the step throws.
template <typename State, typename Step> void guarded(State* state, Step step)
{
  if (state == nullptr || state->phase == Phase::done || state->phase == Phase::broken) {
    throw Error(Errc::unknown,
                state == nullptr || state->phase == Phase::broken
                    ? "age: decryptor used after an error or a move"
                    : "age: decryptor used after finish()");
  }
  try {
    step(*state);
  } catch (...) {
    state->phase = Phase::broken;
    throw;
  }
}

} // namespace

void Decryptor::write(std::string_view ciphertext)
{
  guarded(m_state.get(), [&](State& state) {
    std::string_view data = state.read_header(ciphertext);
    if (state.phase == Phase::nonce) {
      data = state.read_nonce(data);
    }
    if (state.phase == Phase::payload) {
      state.read_payload(data);
    }
  });
}

void Decryptor::finish()
{
  guarded(m_state.get(), [](State& state) {
    state.finish();
    state.phase = Phase::done;
  });
}

// --- Files ---

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
