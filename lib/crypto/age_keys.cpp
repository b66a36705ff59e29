// SPDX-License-Identifier: GPL-3.0-or-later
// age keys: their Bech32 forms, and the files that hold them.
#include "lib/core/error.hpp"
#include "lib/crypto/age.hpp"
#include "lib/crypto/age_common.hpp"
#include "lib/crypto/bech32.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

namespace fs = std::filesystem;

namespace cell0ctl::age {

using namespace detail;

namespace {

constexpr std::string_view k_recipient_hrp = "age";
constexpr std::string_view k_identity_hrp = "AGE-SECRET-KEY-";
constexpr std::size_t k_max_key_file_size = 16 * 1024 * 1024; // as `age` itself

constexpr std::string_view k_recipient_hint =
    "a recipient is the age1... line that `age-keygen -y IDENTITY_FILE` prints";
constexpr std::string_view k_identity_hint =
    "an identity is the AGE-SECRET-KEY-1... line of a file made by `age-keygen`";

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

} // namespace

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

} // namespace cell0ctl::age
