// SPDX-License-Identifier: GPL-3.0-or-later
// age::EncryptingOutput and age::DecryptingInput carrying snapshot archives: against the age and
// tar commands, with damaged files, and in bounded memory.
#include "lib/archive/archive.hpp"
#include "lib/archive/stream.hpp"
#include "lib/core/error.hpp"
#include "lib/crypto/age.hpp"
#include "lib/crypto/age_stream.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include <sys/stat.h>
#include <sys/wait.h>

namespace age = cell0ctl::age;
namespace archive = cell0ctl::archive;
namespace fs = std::filesystem;
using cell0ctl::Errc;
using cell0ctl::Error;
using cell0ctl::archive::Entry;
using cell0ctl::archive::NextBlock;
using cell0ctl::archive::WriterOptions;
using cell0ctl::test::Scratch;

namespace {

constexpr std::size_t k_mib = std::size_t{1} << 20;
constexpr std::size_t k_chunk = 64 * 1024;
constexpr std::size_t k_sealed_chunk = k_chunk + 16;

// Bytes that zstd cannot shrink, the same for a given `seed`.
std::string noise(std::size_t size, std::uint64_t seed = 1)
{
  std::string out(size, '\0');
  std::uint64_t x = seed * 0x9e3779b97f4a7c15 + 1;
  for (std::size_t at = 0; at < size; at += sizeof(x)) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(out.data() + at, &x, std::min(sizeof(x), size - at));
  }
  return out;
}

class MemoryOutput final : public archive::Output
{
public:
  void write(std::string_view data) override { bytes += data; }
  void finish() override {}
  std::string name() const override { return "memory"; }

  std::string bytes;
};

// Hands out `bytes` 64 KiB at a time.
class StringInput final : public archive::Input
{
public:
  explicit StringInput(std::string_view bytes) : m_bytes(bytes) {}
  std::size_t read(char* buffer, std::size_t size) override
  {
    const std::size_t count = std::min({size, k_chunk, m_bytes.size()});
    std::copy_n(m_bytes.data(), count, buffer);
    m_bytes.remove_prefix(count);
    return count;
  }
  std::string name() const override { return "memory"; }

private:
  std::string_view m_bytes;
};

// One member of the tree that the tests archive.
struct Member
{
  std::string path;
  Entry::Type type = Entry::Type::file;
  std::uint32_t mode = 0644;
  std::string content; // a file's bytes, or a symlink's target
};

// Several chunks of file content, files of several modes, an empty one, a symlink.
std::vector<Member> sample_tree()
{
  using Type = Entry::Type;
  return {
      {"etc", Type::directory, 0750, ""},
      {"etc/cell0.json", Type::file, 0640, "{\"agent\": true}\n"},
      {"etc/empty", Type::file, 0600, ""},
      {"bin", Type::directory, 0755, ""},
      {"bin/run.sh", Type::file, 0755, "#!/bin/sh\necho hi\n"},
      {"data.bin", Type::file, 0644, noise(3 * k_mib + 7)},
      {"link", Type::symlink, 0777, "etc/cell0.json"},
  };
}

void materialize(const fs::path& root, const std::vector<Member>& tree)
{
  for (const Member& member : tree) {
    const fs::path path = root / member.path;
    if (member.type == Entry::Type::directory) {
      fs::create_directories(path);
    } else if (member.type == Entry::Type::symlink) {
      fs::create_symlink(member.content, path);
    } else {
      std::ofstream(path, std::ios::binary) << member.content;
    }
    if (member.type != Entry::Type::symlink) {
      fs::permissions(path, fs::perms(member.mode));
    }
  }
}

// Archives the tree materialized below `root`, as a backup does.
void write_tree(archive::Writer& writer, const fs::path& root, const std::vector<Member>& tree)
{
  for (const Member& member : tree) {
    Entry entry;
    entry.path = member.path;
    entry.mode = member.mode;
    entry.mtime_sec = 1700000000;
    switch (member.type) {
    case Entry::Type::directory:
      writer.add_directory(entry);
      break;
    case Entry::Type::symlink:
      entry.link_target = member.content;
      writer.add_symlink(entry);
      break;
    case Entry::Type::file:
      entry.size = member.content.size();
      writer.add_file(entry, root / member.path);
      break;
    }
  }
}

std::string read_file(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Checks that `root` holds `tree`: contents, modes, symlink targets.
void check_tree(const fs::path& root, const std::vector<Member>& tree)
{
  for (const Member& member : tree) {
    CAPTURE(member.path);
    const fs::path path = root / member.path;
    struct stat info = {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);
    if (member.type == Entry::Type::symlink) {
      REQUIRE(S_ISLNK(info.st_mode));
      CHECK(fs::read_symlink(path).string() == member.content);
      continue;
    }
    CHECK(S_ISDIR(info.st_mode) == (member.type == Entry::Type::directory));
    CHECK((info.st_mode & 07777) == member.mode);
    if (member.type == Entry::Type::file) {
      CHECK(read_file(path) == member.content);
    }
  }
}

// Checks what a failed extraction left in `root`: only members of `tree`, each file complete.
void check_no_partial_file(const fs::path& root, const std::vector<Member>& tree)
{
  std::map<std::string, std::string> files;
  for (const Member& member : tree) {
    if (member.type == Entry::Type::file) {
      files[member.path] = member.content;
    }
  }
  for (const fs::directory_entry& item : fs::recursive_directory_iterator(root)) {
    if (item.is_regular_file() && !item.is_symlink()) {
      const std::string path = fs::relative(item.path(), root).string();
      CAPTURE(path);
      REQUIRE(files.contains(path));
      CHECK(read_file(item.path()) == files[path]);
    }
  }
}

// Reads every file of the archive that `input` holds: path -> content.
std::map<std::string, std::string> files_in(archive::Input& input)
{
  std::map<std::string, std::string> files;
  archive::read(input, [&](const Entry& entry, const NextBlock& next_block) {
    if (entry.type != Entry::Type::file) {
      return;
    }
    std::string& content = files[entry.path];
    for (std::string_view block; next_block(block);) {
      content += block;
    }
  });
  return files;
}

template <typename Action> Error error_of(Action action)
{
  try {
    action();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no Error was thrown");
  return Error(Errc::ok, "");
}

bool contains(std::string_view text, std::string_view part)
{
  return text.find(part) != std::string_view::npos;
}

// Whether the age, tar and zstd commands are here; the tests that use them skip otherwise.
bool have_peer_tools()
{
  for (const char* tool :
       {"/usr/bin/age", "/usr/bin/age-keygen", "/usr/bin/tar", "/usr/bin/zstd"}) {
    if (!fs::exists(tool)) {
      MESSAGE("skipped: " << tool << " is missing (apt install age tar zstd)");
      return false;
    }
  }
  return true;
}

// Runs a shell command with pipefail (paths from Scratch need no quoting); true when it exits 0.
bool run(const std::string& command)
{
  return std::system(("bash -o pipefail -c '" + command + "' 2>/dev/null").c_str()) == 0;
}

std::string output_of(const std::string& command)
{
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t count; (count = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) {
    out.append(buffer, count);
  }
  REQUIRE(::pclose(pipe) == 0);
  return out;
}

// A key pair made by age-keygen: its file, and the public key from the file's comment.
struct KeygenKey
{
  fs::path file;
  std::string recipient;
};

KeygenKey age_keygen(Scratch& scratch, const std::string& name)
{
  const fs::path file = scratch.path() / name;
  REQUIRE(run("age-keygen -o " + file.string()));
  const std::string text = read_file(file);
  const std::size_t at = text.find("# public key: ");
  REQUIRE(at != std::string::npos);
  return {file, text.substr(at + 14, text.find('\n', at) - at - 14)};
}

// The value in KiB of `field` ("VmRSS", "VmHWM") in /proc/self/status, or -1.
long status_kib(const std::string& field)
{
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with(field + ":")) {
      return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return -1;
}

// Where the payload's chunks start in an age file: after the header and the 16-byte nonce.
std::size_t payload_offset(std::string_view file)
{
  return file.find('\n', file.find("\n--- ") + 1) + 1 + 16;
}

// The files of the archive in the age file `bytes`, decrypted with `identity`.
std::map<std::string, std::string> decrypted_files(std::string_view bytes,
                                                   const age::Identity& identity)
{
  StringInput input(bytes);
  age::DecryptingInput decrypting(input, {identity});
  return files_in(decrypting);
}

archive::ExtractResult decrypted_extract(std::string_view bytes,
                                         const age::Identity& identity,
                                         const fs::path& target)
{
  StringInput input(bytes);
  age::DecryptingInput decrypting(input, {identity});
  return archive::extract(decrypting, target);
}

// Resets the peak RSS (VmHWM) to the current RSS (Linux 4.0 and later).
void reset_peak_rss()
{
  std::ofstream("/proc/self/clear_refs") << "5";
}

} // namespace

TEST_CASE("age streams with the age and tar commands")
{
  if (!have_peer_tools()) {
    return;
  }
  Scratch scratch;
  const KeygenKey key = age_keygen(scratch, "key.txt");
  const std::vector<age::Identity> identities = age::read_identity_file(key.file);
  const std::vector<Member> tree = sample_tree();
  const fs::path src = scratch.mkdir("src");
  materialize(src, tree);
  const fs::path encrypted = scratch.path() / "snapshot.tar.zst.age";

  SUBCASE("an archive written through EncryptingOutput decrypts with age and extracts with tar")
  {
    archive::FileOutput file(encrypted);
    archive::HashingOutput hashed(file);
    age::EncryptingOutput encrypting(hashed, {age::parse_recipient(key.recipient)});
    archive::Writer writer(encrypting, WriterOptions{});
    write_tree(writer, src, tree);
    writer.finish();

    const fs::path target = scratch.mkdir("by-tar");
    REQUIRE(run(fmt::format("age -d -i {} {} | tar --zstd -xf - -C {}",
                            key.file.string(),
                            encrypted.string(),
                            target.string())));
    check_tree(target, tree);
    // The tee saw exactly the bytes of the file.
    CHECK(hashed.size() == fs::file_size(encrypted));
    CHECK(hashed.sha256_hex() == output_of("sha256sum " + encrypted.string()).substr(0, 64));
  }

  SUBCASE("an archive made by tar --zstd | age -r reads and extracts through DecryptingInput")
  {
    REQUIRE(run(fmt::format("tar --zstd -cf - -C {} . | age -r {} -o {}",
                            src.string(),
                            key.recipient,
                            encrypted.string())));
    std::map<std::string, Entry> entries;
    std::map<std::string, std::string> contents;
    {
      archive::FileInput file(encrypted);
      age::DecryptingInput decrypting(file, identities);
      archive::read(decrypting, [&](const Entry& entry, const NextBlock& next_block) {
        entries[entry.path] = entry;
        for (std::string_view block; next_block(block);) {
          contents[entry.path] += block;
        }
      });
    }
    REQUIRE(entries.size() == tree.size());
    for (const Member& member : tree) {
      CAPTURE(member.path);
      REQUIRE(entries.contains(member.path));
      const Entry& entry = entries[member.path];
      CHECK(entry.type == member.type);
      if (member.type == Entry::Type::symlink) {
        CHECK(entry.link_target == member.content);
      } else {
        CHECK(entry.mode == member.mode);
        CHECK(contents[member.path] == member.content);
      }
    }

    archive::FileInput file(encrypted);
    age::DecryptingInput decrypting(file, identities);
    const fs::path target = scratch.mkdir("restored");
    const archive::ExtractResult result = archive::extract(decrypting, target);
    CHECK(result.refused.empty());
    CHECK(result.files == 4);
    check_tree(target, tree);
  }

  SUBCASE("a tar in an age file cut after its end-of-archive marker is an Error, not a success")
  {
    // GNU tar fills its last record (1 MiB here) with zeros after the marker, which libarchive
    // does not read: only the Decryptor's finish() shows that the final chunk is missing.
    REQUIRE(run(fmt::format("tar -cf - -b 2048 -C {} etc | age -r {} -o {}",
                            src.string(),
                            key.recipient,
                            encrypted.string())));
    const std::string whole = read_file(encrypted);
    const std::size_t payload = payload_offset(whole);
    REQUIRE(whole.size() == payload + 16 * k_sealed_chunk); // 16 full chunks, the last final
    const fs::path cut = scratch.path() / "cut.tar.age";
    std::ofstream(cut, std::ios::binary) << whole.substr(0, payload + 15 * k_sealed_chunk);

    archive::FileInput file(cut);
    age::DecryptingInput decrypting(file, identities);
    const Error e = error_of([&] { files_in(decrypting); });
    CHECK(e.code() == Errc::failed);
    CHECK(std::string(e.what())
          == "cannot decrypt " + cut.string()
                 + ": age payload: truncated after chunk 15, before the final chunk");
    CHECK(e.hint() == "the file is damaged or incomplete: use another copy of it");

    archive::FileInput again(cut);
    age::DecryptingInput decrypting_again(again, identities);
    const fs::path target = scratch.mkdir("cut");
    CHECK_THROWS_WITH_AS(archive::extract(decrypting_again, target),
                         doctest::Contains("truncated after chunk 15"),
                         Error);
    // Every entry was complete before the cut showed: they stay, but extract() did not return.
    CHECK(read_file(target / "etc/cell0.json") == "{\"agent\": true}\n");
  }
}

TEST_CASE("age streams with damaged archives")
{
  Scratch scratch;
  const age::Identity identity = age::generate_identity();
  const std::vector<Member> tree = sample_tree();
  const fs::path src = scratch.mkdir("src");
  materialize(src, tree);
  MemoryOutput output;
  {
    age::EncryptingOutput encrypting(output, {identity.recipient()});
    archive::Writer writer(encrypting, WriterOptions{});
    write_tree(writer, src, tree);
    writer.finish();
  }
  const std::string file = output.bytes;
  const std::size_t payload = payload_offset(file);
  const std::size_t chunks = (file.size() - payload + k_sealed_chunk - 1) / k_sealed_chunk;
  const std::size_t last_chunk = payload + (chunks - 1) * k_sealed_chunk;
  REQUIRE(chunks > 40);
  REQUIRE(decrypted_files(file, identity).size() == 4);

  SUBCASE("a file cut anywhere is an Error from read() and extract(), and no partial file stays")
  {
    const std::vector<std::size_t> cuts = {
        payload / 2,                   // inside the header
        payload - 16,                  // after the header, before the payload nonce
        payload - 5,                   // inside the nonce
        payload,                       // before the first chunk
        payload + 100,                 // inside the first chunk
        payload + k_sealed_chunk,      // at a chunk boundary
        payload + 20 * k_sealed_chunk, // at a chunk boundary inside data.bin
        last_chunk,                    // at the boundary before the final chunk
        last_chunk + 10,               // inside the final chunk
        file.size() - 1,
    };
    for (const std::size_t cut : cuts) {
      CAPTURE(cut);
      const std::string_view bytes = std::string_view(file).substr(0, cut);
      const Error read_error = error_of([&] { decrypted_files(bytes, identity); });
      CHECK(read_error.code() == Errc::failed);
      CHECK(contains(read_error.what(), "cannot decrypt memory: "));
      CHECK_FALSE(read_error.hint().empty());
      // extract() keeps the entries completed before the damage showed, and only those.
      const fs::path target = scratch.mkdir(fmt::format("cut-{}", cut));
      const Error extract_error = error_of([&] { decrypted_extract(bytes, identity, target); });
      CHECK(extract_error.code() == Errc::failed);
      CHECK(std::string(extract_error.what()) == read_error.what());
      check_no_partial_file(target, tree);
    }
    const std::string_view before_final = std::string_view(file).substr(0, last_chunk);
    CHECK(contains(error_of([&] { decrypted_files(before_final, identity); }).what(),
                   fmt::format("truncated after chunk {}, before the final chunk", chunks - 1)));
  }

  SUBCASE("a changed byte fails authentication in read() and extract()")
  {
    std::string bad = file;
    bad[payload + 5 * k_sealed_chunk + 7] ^= 0x01;
    CHECK(contains(error_of([&] { decrypted_files(bad, identity); }).what(),
                   "chunk 6 fails authentication"));
    const fs::path target = scratch.mkdir("bad");
    CHECK(contains(error_of([&] { decrypted_extract(bad, identity, target); }).what(),
                   "chunk 6 fails authentication"));
    check_no_partial_file(target, tree);
  }

  SUBCASE("another identity: no identity matches, and nothing is extracted")
  {
    const age::Identity other = age::generate_identity();
    const Error e = error_of([&] { decrypted_files(file, other); });
    CHECK(e.code() == Errc::failed);
    CHECK(contains(e.what(), "cannot decrypt memory: age header: no identity matches"));
    const fs::path target = scratch.mkdir("other");
    CHECK(contains(error_of([&] { decrypted_extract(file, other, target); }).what(),
                   "no identity matches"));
    CHECK(fs::is_empty(target));
  }
}

TEST_CASE("age::DecryptingInput reads a 200 MiB archive in bounded memory")
{
  Scratch scratch;
  const age::Identity identity = age::generate_identity();
  const fs::path path = scratch.path() / "big.tar.zst.age";
  constexpr std::size_t k_files = 200;
  {
    archive::FileOutput file(path);
    age::EncryptingOutput encrypting(file, {identity.recipient()});
    archive::Writer writer(encrypting, WriterOptions{.zstd_level = 1, .threads = 1});
    for (std::size_t i = 0; i < k_files; ++i) {
      Entry entry;
      entry.path = fmt::format("file-{:03}", i);
      entry.mtime_sec = 1700000000;
      writer.add_data(entry, noise(k_mib, i + 1));
    }
    writer.finish();
  }
  REQUIRE(fs::file_size(path) > k_files * k_mib);

  // The measure must see what it is meant to: 32 MiB touched after a reset raise the peak.
  reset_peak_rss();
  const long control_before = status_kib("VmHWM");
  {
    const std::string control(32 * k_mib, 'x');
    if (control_before < 0 || status_kib("VmHWM") - control_before < 31 * 1024) {
      MESSAGE("skipped: the peak RSS cannot be reset or measured here");
      return;
    }
  }
  reset_peak_rss();
  const long before = status_kib("VmHWM");
  std::uint64_t bytes = 0;
  archive::FileInput file(path);
  age::DecryptingInput decrypting(file, {identity});
  archive::read(decrypting, [&](const Entry&, const NextBlock& next_block) {
    for (std::string_view block; next_block(block);) {
      bytes += block.size();
    }
  });
  const long growth = status_kib("VmHWM") - before;
  MESSAGE("reading 200 MiB raised the peak RSS by " << growth << " KiB");
  CHECK(bytes == k_files * k_mib);
  // Fixed buffers only: DecryptingInput's 64 KiB block and chunk, the Decryptor's chunk buffers,
  // libarchive's 64 KiB block and zstd's window (at most 8 MiB for the levels we write).
  CHECK(growth < 24 * 1024);
}
