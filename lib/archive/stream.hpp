// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Byte streams that archives are written to and read from: a file here, an age-encrypted file
// (lib/crypto/age_stream.hpp) or, later, an object store. Outputs and inputs stack: each adapter
// wraps an inner stream that it does not own and that must outlive it.
//
//   archive::FileOutput file(path);
//   archive::HashingOutput hashed(file);
//   age::EncryptingOutput encrypted(hashed, recipients);
//   archive::Writer writer(encrypted, options);
//   ...; writer.finish(); // finishes `encrypted`, `hashed` and `file` in turn
//   record(hashed.sha256_hex(), hashed.size());
//
// This header uses neither libarchive nor libsodium, so that lib/crypto can implement it
// without depending on the rest of lib/archive.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace cell0ctl::util {
class Sha256;
}

namespace cell0ctl::archive {

// Where bytes go, in order. Errors name the stream (see name()) and say why.
class Output
{
public:
  Output() = default;
  virtual ~Output() = default;
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  // Takes all of `data`, or throws Error (Errc::failed for I/O). After an exception the stream
  // is incomplete, and only its destruction is left to do.
  virtual void write(std::string_view data) = 0;

  // Ends the stream after the last write() and makes it complete: an adapter writes what it
  // still holds, then finishes its inner output. Called at most once; throws like write().
  // An output destroyed without finish() stays incomplete (an adapter never finishes its inner
  // output then).
  virtual void finish() = 0;

  // What error messages call the stream: a path, or the inner stream's name for an adapter.
  virtual std::string name() const = 0;
};

// Where bytes come from, in order.
class Input
{
public:
  Input() = default;
  virtual ~Input() = default;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  // Reads up to `size` bytes (`size` > 0) into `buffer`; returns how many, 0 only at the end of
  // the stream (and again after it). Throws Error, naming the stream and saying why, when the
  // stream cannot be read or turns out to be damaged or truncated (Errc::failed); an input that
  // checks its integrity as a whole (age) does so before it returns 0.
  virtual std::size_t read(char* buffer, std::size_t size) = 0;

  // What error messages call the stream.
  virtual std::string name() const = 0;
};

// A new file: created (or truncated) with mode 0600, not through a symlink.
class FileOutput final : public Output
{
public:
  // Throws Error(Errc::failed) "cannot create archive PATH: why" when the file cannot be opened.
  explicit FileOutput(const std::filesystem::path& path);
  ~FileOutput() override;

  void write(std::string_view data) override;

  // Closes the file: after it every byte is in the file, not yet synced (the caller fsyncs and
  // renames). Throws Error(Errc::failed) when close() reports an error.
  void finish() override;

  std::string name() const override;

private:
  std::filesystem::path m_path;
  int m_fd = -1; // -1 after finish()
};

// An existing file, read from its start.
class FileInput final : public Input
{
public:
  // Throws Error(Errc::failed) "cannot read archive PATH: why" when the file cannot be opened.
  explicit FileInput(const std::filesystem::path& path);
  ~FileInput() override;

  std::size_t read(char* buffer, std::size_t size) override;
  std::string name() const override;

private:
  std::filesystem::path m_path;
  int m_fd = -1;
};

// Passes everything on to `inner` unchanged, counting the bytes and hashing them (SHA-256):
// put it right above the FileOutput of a stored object to learn the object's size and hash
// without reading it again.
class HashingOutput final : public Output
{
public:
  explicit HashingOutput(Output& inner);
  ~HashingOutput() override;

  void write(std::string_view data) override;
  void finish() override; // finishes `inner`, then computes the digest
  std::string name() const override;

  // The bytes written so far.
  std::uint64_t size() const { return m_size; }

  // The SHA-256 of all the bytes, as 64 lower-case hex digits, once finish() has succeeded;
  // empty before.
  const std::string& sha256_hex() const { return m_sha256_hex; }

private:
  Output& m_inner;
  std::unique_ptr<util::Sha256> m_sha256;
  std::uint64_t m_size = 0;
  std::string m_sha256_hex;
};

} // namespace cell0ctl::archive
