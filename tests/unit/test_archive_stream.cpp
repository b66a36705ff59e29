// SPDX-License-Identifier: GPL-3.0-or-later
// archive::Writer, read() and extract() over Outputs and Inputs, and the file and hashing
// streams.
#include "lib/archive/archive.hpp"
#include "lib/archive/stream.hpp"
#include "lib/core/error.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <string>

#include <sys/wait.h>

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

// Bytes that zstd cannot shrink, the same for a given `seed`.
std::string noise(std::size_t size, std::uint64_t seed = 1)
{
  std::string out(size, '\0');
  std::uint64_t x = seed * 0x9e3779b97f4a7c15 + 1;
  for (char& c : out) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x >> 56);
  }
  return out;
}

// Keeps what it is given, and whether and when it was finished.
class MemoryOutput final : public archive::Output
{
public:
  void write(std::string_view data) override
  {
    CHECK_FALSE(finished);
    bytes += data;
    ++writes;
  }
  void finish() override { ++finished; }
  std::string name() const override { return "memory"; }

  std::string bytes;
  int writes = 0;
  int finished = 0;
};

// Accepts `limit` bytes, then throws.
class FailingOutput final : public archive::Output
{
public:
  explicit FailingOutput(std::size_t limit) : m_limit(limit) {}
  void write(std::string_view data) override
  {
    if (written + data.size() > m_limit) {
      throw Error(Errc::failed, "cannot write archive flaky: no space left", "free some space");
    }
    written += data.size();
  }
  void finish() override { ++finished; }
  std::string name() const override { return "flaky"; }

  std::size_t written = 0;
  int finished = 0;

private:
  std::size_t m_limit;
};

// Hands out `bytes` at most `piece` bytes at a time, then throws (when `fail_at` is reached)
// or returns 0, and counts the calls that returned 0.
class StringInput final : public archive::Input
{
public:
  StringInput(std::string bytes, std::size_t piece, std::size_t fail_at = std::string::npos)
      : m_bytes(std::move(bytes)), m_piece(piece), m_fail_at(fail_at)
  {}
  std::size_t read(char* buffer, std::size_t size) override
  {
    if (m_at >= m_fail_at) {
      throw Error(Errc::failed, "cannot read archive remote: connection reset", "try again");
    }
    const std::size_t count = std::min({size, m_piece, m_bytes.size() - m_at, m_fail_at - m_at});
    std::copy_n(m_bytes.data() + m_at, count, buffer);
    m_at += count;
    ends += count == 0 ? 1 : 0;
    return count;
  }
  std::string name() const override { return "remote"; }

  int ends = 0;

private:
  std::string m_bytes;
  std::size_t m_piece;
  std::size_t m_fail_at;
  std::size_t m_at = 0;
};

Entry file_entry(std::string path, std::uint32_t mode = 0644)
{
  Entry entry;
  entry.path = std::move(path);
  entry.mode = mode;
  entry.mtime_sec = 1700000000;
  return entry;
}

// The files of the test archive: path -> content.
std::map<std::string, std::string> sample_files()
{
  return {{"a.txt", "alpha\n"}, {"big.bin", noise(3 * k_mib + 5)}, {"z/empty", ""}};
}

void add_sample(archive::Writer& writer)
{
  Entry folder = file_entry("z", 0750);
  writer.add_directory(folder);
  for (const auto& [path, content] : sample_files()) {
    writer.add_data(file_entry(path), content);
  }
}

std::string sample_archive(const WriterOptions& options = WriterOptions{})
{
  MemoryOutput output;
  archive::Writer writer(output, options);
  add_sample(writer);
  writer.finish();
  return output.bytes;
}

// The files that read() reports, with their content.
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

std::string read_file(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs `command` in a shell; returns its standard output, and fails the test unless it exits 0.
std::string output_of(const std::string& command)
{
  std::string out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  for (std::size_t count; (count = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0;) {
    out.append(buffer, count);
  }
  const int status = ::pclose(pipe);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return out;
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

} // namespace

TEST_CASE("archive::Writer over an Output")
{
  Scratch scratch;

  SUBCASE("it writes the bytes that the path constructor writes, then finishes the output once")
  {
    const WriterOptions options{.zstd_level = 3, .threads = 1};
    const fs::path path = scratch.path() / "a.tar.zst";
    {
      archive::Writer writer(path, options);
      add_sample(writer);
      writer.finish();
    }
    MemoryOutput output;
    archive::Writer writer(output, options);
    add_sample(writer);
    CHECK(output.finished == 0);
    writer.finish();
    CHECK(output.finished == 1);
    CHECK(output.bytes == read_file(path));
    // zstd refuses anything after its frame: libarchive's last block is not padded.
    CHECK_NOTHROW(output_of(fmt::format("zstd -q -t '{}'", path.string())));
  }

  SUBCASE("an error of the output is thrown unchanged by the call that met it, and breaks it")
  {
    FailingOutput output(100 * 1024);
    archive::Writer writer(output, WriterOptions{});
    // zstd's threads hold back what they compress: the error shows up a few MiB later.
    std::optional<Error> error;
    for (std::uint64_t i = 1; i <= 64 && !error; ++i) {
      try {
        writer.add_data(file_entry(fmt::format("file-{}", i)), noise(k_mib, i));
      } catch (const Error& e) {
        error = e;
      }
    }
    REQUIRE(error);
    CHECK(error->code() == Errc::failed);
    CHECK(std::string(error->what()) == "cannot write archive flaky: no space left");
    CHECK(error->hint() == "free some space");
    CHECK_THROWS_WITH_AS(writer.add_data(file_entry("next"), "x"),
                         doctest::Contains("an earlier error left it incomplete"),
                         Error);
    CHECK_THROWS_AS(writer.finish(), Error);
    CHECK(output.finished == 0);
  }

  SUBCASE("an error while finishing is thrown, and the output is not finished")
  {
    FailingOutput output(0);
    archive::Writer writer(output, WriterOptions{});
    writer.add_data(file_entry("small"), "small");
    CHECK_THROWS_WITH_AS(writer.finish(), doctest::Contains("no space left"), Error);
    CHECK(output.finished == 0);
  }

  SUBCASE("a Writer destroyed before finish() neither finishes its output nor writes to it more")
  {
    MemoryOutput output;
    std::size_t before = 0;
    {
      archive::Writer writer(output, WriterOptions{});
      writer.add_data(file_entry("big"), noise(k_mib));
      before = output.bytes.size();
    }
    CHECK(output.bytes.size() == before);
    CHECK(output.finished == 0);
    StringInput input(output.bytes, k_mib);
    CHECK_THROWS_AS(files_in(input), Error);
  }
}

TEST_CASE("archive::read and extract over an Input")
{
  Scratch scratch;
  const std::string bytes = sample_archive();

  SUBCASE("an input that hands out 7 bytes at a time reads and extracts like a file")
  {
    StringInput input(bytes, 7);
    CHECK(files_in(input) == sample_files());
    StringInput again(bytes, 7);
    const fs::path target = scratch.mkdir("target");
    const archive::ExtractResult result = archive::extract(again, target);
    CHECK(result.files == 3);
    CHECK(result.refused.empty());
    for (const auto& [path, content] : sample_files()) {
      CHECK(read_file(target / path) == content);
    }
    CHECK((fs::status(target / "z").permissions() & fs::perms::all) == fs::perms(0750));
  }

  SUBCASE("the input is read to its end, past the end-of-archive marker, before they return")
  {
    // GNU tar fills its last record (1 MiB here) with zeros, which libarchive does not read:
    // without cell0ctl reading on, an age file cut among them would never reach the
    // Decryptor's finish(), which detects the cut.
    const fs::path src = scratch.mkdir("src");
    scratch.write("src/a.txt", "alpha\n");
    const std::string tar = output_of(fmt::format("tar -cf - -b 2048 -C '{}' a.txt", src.string()));
    REQUIRE(tar.size() == k_mib);
    StringInput input(tar, 64 * 1024);
    CHECK(files_in(input) == std::map<std::string, std::string>{{"a.txt", "alpha\n"}});
    CHECK(input.ends >= 1);
    StringInput again(tar, 64 * 1024);
    CHECK(archive::extract(again, scratch.mkdir("target")).files == 1);
    CHECK(again.ends >= 1);
  }

  SUBCASE("an error of the input is thrown unchanged, and no partial file is left")
  {
    for (const std::size_t at : {std::size_t{0}, std::size_t{100}, bytes.size() / 2}) {
      CAPTURE(at);
      StringInput input(bytes, 4096, at);
      const Error e = error_of([&] { files_in(input); });
      CHECK(std::string(e.what()) == "cannot read archive remote: connection reset");
      CHECK(e.hint() == "try again");
      StringInput again(bytes, 4096, at);
      const fs::path target = scratch.mkdir(fmt::format("target-{}", at));
      CHECK_THROWS_WITH_AS(
          archive::extract(again, target), doctest::Contains("connection reset"), Error);
      CHECK_FALSE(fs::exists(target / "big.bin"));
    }
  }

  SUBCASE("an input that does not hold an archive is an Error naming it")
  {
    StringInput input("not an archive at all\n", 4096);
    CHECK_THROWS_WITH_AS(files_in(input), doctest::Contains("cannot read archive remote"), Error);
  }
}

TEST_CASE("archive::FileOutput and archive::HashingOutput")
{
  Scratch scratch;

  SUBCASE("the size and SHA-256 of the bytes written are the file's, as sha256sum sees it")
  {
    const fs::path path = scratch.path() / "a.tar.zst";
    archive::FileOutput file(path);
    archive::HashingOutput hashed(file);
    archive::Writer writer(hashed, WriterOptions{});
    add_sample(writer);
    CHECK(hashed.sha256_hex().empty());
    writer.finish();
    CHECK(hashed.size() == fs::file_size(path));
    const std::string sha256sum = output_of(fmt::format("sha256sum '{}'", path.string()));
    CHECK(hashed.sha256_hex() == sha256sum.substr(0, 64));
    CHECK(hashed.name() == path.string());
  }

  SUBCASE("a FileOutput is created with mode 0600 and never through a symlink")
  {
    const fs::path real = scratch.write("real", "keep");
    fs::create_symlink(real, scratch.path() / "link");
    CHECK_THROWS_WITH_AS(archive::FileOutput(scratch.path() / "link"),
                         doctest::Contains("cannot create archive"),
                         Error);
    CHECK(read_file(real) == "keep");
    {
      archive::FileOutput file(scratch.path() / "new");
      file.write("data");
      file.finish();
    }
    CHECK(read_file(scratch.path() / "new") == "data");
    CHECK((fs::status(scratch.path() / "new").permissions() & fs::perms::all) == fs::perms(0600));
  }
}
