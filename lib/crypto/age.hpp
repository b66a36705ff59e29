// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Encryption at rest in the age format (age-encryption.org/v1, c2sp.org/age) with X25519 keys,
// so that `age -d -i KEY` decrypts what cell0ctl encrypts and the other way round. Binary files
// only: neither ASCII armor, nor passphrases (scrypt), SSH keys, plugins or post-quantum keys.
//
// Errors are Error(Errc::usage) for a bad key or key line, and Error(Errc::failed) for a file
// that cannot be read or decrypted. Messages never contain secret key material: a bad secret
// key is named by its file and line, its length and at most its "AGE-SECRET-KEY-1" prefix.

#include <array>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::age {

// An X25519 public key, written "age1..." (lower-case Bech32).
struct Recipient
{
  std::array<unsigned char, 32> public_key{};

  bool operator==(const Recipient&) const = default;
};

// An X25519 secret key, written "AGE-SECRET-KEY-1..." (upper-case Bech32). The key is wiped
// when the Identity is destroyed (copies wipe their own).
struct Identity
{
  std::array<unsigned char, 32> secret_key{};

  ~Identity();

  // Returns the public key that goes with `secret_key`.
  Recipient recipient() const;
};

// Parses "age1...", as `age-keygen` prints it. Throws Error(Errc::usage) saying what is wrong
// (checksum, case, length, an unsupported SSH, plugin or post-quantum key) and quoting only
// the first characters of `text`.
Recipient parse_recipient(std::string_view text);

// Parses "AGE-SECRET-KEY-1...". Throws Error(Errc::usage) like parse_recipient(), quoting no
// part of the key.
Identity parse_identity(std::string_view text);

// Returns the recipients of the file at `path`: one per line, skipping empty lines and lines
// that start with '#' (the format `age -R` reads). Throws Error(Errc::failed) when the file
// cannot be read, Error(Errc::usage) naming `path:line` for a bad line or when there is no
// recipient at all.
std::vector<Recipient> read_recipients_file(const std::filesystem::path& path);

// Returns the identities of the file at `path`, in the format `age-keygen` writes and
// `age -i` reads: comments ("# created: ...", "# public key: age1...") and empty lines are
// skipped. Errors as read_recipients_file(). The file's contents are wiped from memory.
std::vector<Identity> read_identity_file(const std::filesystem::path& path);

// Returns a new random identity (libsodium's CSPRNG).
Identity generate_identity();

std::string format_recipient(const Recipient& recipient);

// Returns the key in the form `age` reads; the caller owns, and should wipe, the string.
std::string format_identity(const Identity& identity);

// Receives output: a piece of an age file, or of plaintext. The view is valid during the call
// only. An exception thrown by the sink propagates out of write() or finish().
using Sink = std::function<void(std::string_view)>;

// Encrypts a stream to one or more recipients, with bounded memory (one 64 KiB chunk).
//
//   age::Encryptor encryptor(recipients, [&](std::string_view bytes) { out.write(bytes); });
//   encryptor.write(data); ...; encryptor.finish();
//
// Without finish() the output is incomplete and no decryptor accepts it. After an exception,
// the object can only be destroyed.
class Encryptor
{
public:
  // Sends the header to `sink` at once. Throws Error(Errc::usage) when `recipients` is empty
  // or holds a key that is not a usable X25519 point.
  Encryptor(std::vector<Recipient> recipients, Sink sink);
  ~Encryptor();
  Encryptor(Encryptor&&) noexcept;
  Encryptor& operator=(Encryptor&&) noexcept;

  // Encrypts `data`; full chunks go to the sink, the rest waits for more data or finish().
  void write(std::string_view data);

  // Encrypts and sends the final chunk (empty when there was no data at all).
  void finish();

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Decrypts a stream with the first of `identities` that one of its recipient stanzas names.
//
// Only authenticated plaintext reaches the sink, one 64 KiB chunk at a time, as each chunk is
// verified; memory stays bounded (one chunk, and a header of at most 1 MiB). A truncated file
// is only detected at its end, so what the sink received must be treated as incomplete until
// finish() returns. Throws Error(Errc::failed) from write() or finish() for: input that is not
// a binary age v1 file, a malformed header, no identity matching ("no identity matches"), a bad
// header MAC ("header MAC"), a chunk that fails authentication ("authentication"), a missing
// final chunk ("truncated") and data after it. After an exception, the object can only be
// destroyed.
class Decryptor
{
public:
  // Throws Error(Errc::usage) when `identities` is empty.
  Decryptor(std::vector<Identity> identities, Sink sink);
  ~Decryptor();
  Decryptor(Decryptor&&) noexcept;
  Decryptor& operator=(Decryptor&&) noexcept;

  void write(std::string_view ciphertext);

  // Checks that the input ended with a valid final chunk, and sends its plaintext.
  void finish();

private:
  struct State;
  std::unique_ptr<State> m_state;
};

// Encrypts the file `in` to `out` (replaced, mode 0600). The output is written next to `out`
// as "<out>.partial" and renamed into place on success, and removed on failure. Errors name
// the file: Error(Errc::failed) for I/O, and the codes above otherwise.
void encrypt_file(const std::filesystem::path& in,
                  const std::filesystem::path& out,
                  const std::vector<Recipient>& recipients);

// Decrypts the age file `in` to `out`, like encrypt_file(): on any error, in particular a
// damaged or truncated `in`, no (partial) plaintext is left at `out` or beside it.
void decrypt_file(const std::filesystem::path& in,
                  const std::filesystem::path& out,
                  const std::vector<Identity>& identities);

} // namespace cell0ctl::age
