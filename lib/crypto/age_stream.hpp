// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// age encryption as archive streams (lib/archive/stream.hpp): a snapshot archive written
// straight into an age file, and read back from one, with no plaintext copy on disk.
//
//   archive::FileOutput file(path);
//   age::EncryptingOutput encrypted(file, recipients);
//   archive::Writer writer(encrypted, options); ...; writer.finish();
//
//   archive::FileInput file(path);
//   age::DecryptingInput decrypted(file, identities);
//   archive::extract(decrypted, target);
//
// Only the stream interface of lib/archive is used (no libarchive): lib/archive knows nothing
// of age.

#include "lib/archive/stream.hpp"
#include "lib/crypto/age.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::age {

// Encrypts what it is given to `recipients`, writing the age file to `inner`.
class EncryptingOutput final : public archive::Output
{
public:
  // Writes the header to `inner`, which must outlive this object, at once. Throws like
  // Encryptor's constructor, or `inner`'s Error.
  EncryptingOutput(archive::Output& inner, std::vector<Recipient> recipients);

  // Full chunks go to `inner`; the rest waits for more data or finish().
  void write(std::string_view data) override;

  // Writes the final chunk, then finishes `inner`. Without it, no decryptor accepts the file.
  void finish() override;

  std::string name() const override;

private:
  archive::Output& m_inner;
  Encryptor m_encryptor;
};

// The plaintext of the age file that `inner` holds, decrypted with the first of `identities`
// that matches.
//
// Only authenticated plaintext comes out, one 64 KiB chunk at a time. Memory stays bounded
// whatever the size of the file: a block of input (64 KiB), the plaintext not yet read (at most
// one chunk) and the Decryptor's own (a sealed chunk, a chunk, and a header of at most 1 MiB).
// read() returns 0 only once the whole file is authenticated: when `inner` ends, the Decryptor
// is finished, and a file cut anywhere (even at a chunk boundary) throws instead.
class DecryptingInput final : public archive::Input
{
public:
  // `inner` must outlive this object. Throws Error(Errc::usage) when `identities` is empty.
  DecryptingInput(archive::Input& inner, std::vector<Identity> identities);

  // Throws `inner`'s Error unchanged, and the Decryptor's (Errc::failed: not an age file, "no
  // identity matches", "authentication", "truncated", ...) as "cannot decrypt NAME: ...".
  std::size_t read(char* buffer, std::size_t size) override;

  std::string name() const override;

private:
  // Reads `inner` until some plaintext is waiting, or `inner` has ended.
  void fill();

  archive::Input& m_inner;
  std::vector<char> m_block; // ciphertext read from `inner`
  std::string m_plain;       // plaintext delivered by the Decryptor, not yet read
  std::size_t m_offset = 0;  // what read() has handed out of `m_plain`
  bool m_ended = false;      // `inner` ended, and the Decryptor is finished
  Decryptor m_decryptor;     // last: its sink appends to `m_plain`
};

} // namespace cell0ctl::age
