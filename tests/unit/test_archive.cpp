// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/archive/archive.hpp"
#include "lib/core/error.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using cell0ctl::Errc;
using cell0ctl::Error;
using cell0ctl::archive::Entry;
using cell0ctl::archive::ExtractResult;
using cell0ctl::archive::NextBlock;
using cell0ctl::archive::Writer;
using cell0ctl::archive::WriterOptions;
using cell0ctl::test::Scratch;

namespace {

constexpr std::size_t k_mib = std::size_t{1} << 20;

// One member of the tree that the round trip writes.
struct Source
{
  std::string path;
  Entry::Type type = Entry::Type::file;
  std::uint32_t mode = 0644;
  std::string content; // a file's bytes, or a symlink's target
  std::int64_t sec = 1700000000;
  long nsec = 0;
};

std::string pattern(std::size_t size)
{
  std::string out(size, '\0');
  for (std::size_t i = 0; i < size; ++i) {
    out[i] = static_cast<char>((i * 131 + i / 4099) % 251);
  }
  return out;
}

// Folders first, as a backup walks them; the modes and times are the ones to get back.
std::vector<Source> sample_tree()
{
  using Type = Entry::Type;
  return {
      {"etc", Type::directory, 0750, "", 1700000001, 111111111},
      {"etc/cell0.json", Type::file, 0640, "{\"agent\": true}\n", 1700000002, 123456789},
      {"etc/empty", Type::file, 0600, "", 1700000003, 1},
      {"bin", Type::directory, 0755, "", 1600000000, 999999999},
      {"bin/run.sh", Type::file, 0755, "#!/bin/sh\necho hi\n", 1600000001, 500000000},
      {"locked", Type::directory, 0500, "", 1500000000, 42},
      {"locked/inside.txt", Type::file, 0400, "inside\n", 1500000001, 7},
      {"big.bin", Type::file, 0644, pattern(3 * k_mib + 1), 1700000004, 250000000},
      {"link", Type::symlink, 0777, "etc/cell0.json", 1700000005, 333333333},
      {"dangling", Type::symlink, 0777, "/nonexistent/cell0", 1700000006, 0},
      {"caf\xc3\xa9 \xc3\xbc.txt", Type::file, 0644, "utf-8 name\n", 1700000007, 5},
      {"lien", Type::symlink, 0777, "caf\xc3\xa9 \xc3\xbc.txt", 1700000008, 8},
  };
}

void set_mtime(const fs::path& path, std::int64_t sec, long nsec)
{
  const timespec times[2] = {{sec, nsec}, {sec, nsec}};
  REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

// Writes `tree` below `root`, then sets modes and times children first.
void materialize(const fs::path& root, const std::vector<Source>& tree)
{
  for (const Source& source : tree) {
    const fs::path path = root / source.path;
    if (source.type == Entry::Type::directory) {
      fs::create_directories(path);
    } else if (source.type == Entry::Type::symlink) {
      fs::create_symlink(source.content, path);
    } else {
      std::ofstream(path, std::ios::binary) << source.content;
    }
  }
  for (auto it = tree.rbegin(); it != tree.rend(); ++it) {
    if (it->type != Entry::Type::symlink) {
      fs::permissions(root / it->path, fs::perms(it->mode));
    }
    set_mtime(root / it->path, it->sec, it->nsec);
  }
}

// The Entry of `path` as a backup builds it from lstat().
Entry entry_of(const fs::path& path, const std::string& relative)
{
  struct stat info = {};
  REQUIRE(::lstat(path.c_str(), &info) == 0);
  Entry entry;
  entry.path = relative;
  entry.type = S_ISDIR(info.st_mode)   ? Entry::Type::directory
               : S_ISLNK(info.st_mode) ? Entry::Type::symlink
                                       : Entry::Type::file;
  entry.mode = info.st_mode & 07777;
  entry.uid = info.st_uid;
  entry.gid = info.st_gid;
  entry.uname = "cell0";
  entry.gname = "staff";
  entry.mtime_sec = info.st_mtim.tv_sec;
  entry.mtime_nsec = info.st_mtim.tv_nsec;
  if (entry.type == Entry::Type::file) {
    entry.size = static_cast<std::uint64_t>(info.st_size);
  }
  if (entry.type == Entry::Type::symlink) {
    entry.link_target = fs::read_symlink(path).string();
  }
  return entry;
}

std::string text_of(const Entry& entry)
{
  return fmt::format("{} type={} mode={:o} owner={}:{} names={}:{} mtime={}.{:09} size={} link={}",
                     entry.path,
                     static_cast<int>(entry.type),
                     entry.mode,
                     entry.uid,
                     entry.gid,
                     entry.uname,
                     entry.gname,
                     entry.mtime_sec,
                     entry.mtime_nsec,
                     entry.size,
                     entry.link_target);
}

void add(Writer& writer, const Entry& entry, const fs::path& source)
{
  switch (entry.type) {
  case Entry::Type::directory:
    writer.add_directory(entry);
    break;
  case Entry::Type::symlink:
    writer.add_symlink(entry);
    break;
  case Entry::Type::file:
    writer.add_file(entry, source);
    break;
  }
}

// Materializes the sample tree in `scratch`/src and archives it to `scratch`/snapshot.tar.zst.
fs::path write_sample(Scratch& scratch, std::vector<Entry>& entries)
{
  const fs::path src = scratch.mkdir("src");
  materialize(src, sample_tree());
  const fs::path output = scratch.path() / "snapshot.tar.zst";
  Writer writer(output, WriterOptions{});
  for (const Source& source : sample_tree()) {
    entries.push_back(entry_of(src / source.path, source.path));
    add(writer, entries.back(), src / source.path);
  }
  writer.finish();
  return output;
}

std::string read_file(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Checks that `root` holds the sample tree: bytes, modes, nanosecond times, symlinks.
void check_sample(const fs::path& root)
{
  for (const Source& source : sample_tree()) {
    CAPTURE(source.path);
    const fs::path path = root / source.path;
    struct stat info = {};
    REQUIRE(::lstat(path.c_str(), &info) == 0);
    CHECK(info.st_mtim.tv_sec == source.sec);
    CHECK(info.st_mtim.tv_nsec == source.nsec);
    switch (source.type) {
    case Entry::Type::directory:
      CHECK(S_ISDIR(info.st_mode));
      CHECK((info.st_mode & 07777) == source.mode);
      break;
    case Entry::Type::symlink:
      REQUIRE(S_ISLNK(info.st_mode));
      CHECK(fs::read_symlink(path).string() == source.content);
      break;
    case Entry::Type::file:
      CHECK(S_ISREG(info.st_mode));
      CHECK((info.st_mode & 07777) == source.mode);
      CHECK(read_file(path) == source.content);
      break;
    }
  }
}

// Runs `command` in a shell; returns its exit status (-1 for a signal).
int shell(const std::string& command)
{
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<Entry> read_entries(const fs::path& archive,
                                std::vector<std::string>* contents = nullptr)
{
  std::vector<Entry> out;
  cell0ctl::archive::read(archive, [&](const Entry& entry, const NextBlock& next_block) {
    out.push_back(entry);
    if (contents != nullptr) {
      std::string content;
      for (std::string_view block; next_block(block);) {
        content += block;
      }
      contents->push_back(std::move(content));
    }
  });
  return out;
}

Entry file_entry(std::string path, std::uint64_t size = 0)
{
  Entry entry;
  entry.path = std::move(path);
  entry.size = size;
  entry.mtime_sec = 1700000000;
  return entry;
}

} // namespace

TEST_CASE("archive round trip")
{
  Scratch scratch;
  std::vector<Entry> written;
  const fs::path archive = write_sample(scratch, written);

  SUBCASE("extract restores bytes, modes, nanosecond mtimes and symlinks")
  {
    const fs::path target = scratch.mkdir("restored");
    const ExtractResult result = cell0ctl::archive::extract(archive, target);
    check_sample(target);
    CHECK(result.refused.empty());
    CHECK(result.files == 6);
    CHECK(result.bytes == 3 * k_mib + 1 + 16 + 18 + 7 + 11);
  }

  SUBCASE("read reports every entry as written, with its content")
  {
    std::vector<std::string> contents;
    const std::vector<Entry> entries = read_entries(archive, &contents);
    REQUIRE(entries.size() == written.size());
    const std::vector<Source> tree = sample_tree();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      CHECK(text_of(entries[i]) == text_of(written[i]));
      if (tree[i].type == Entry::Type::file) {
        CHECK(contents[i] == tree[i].content);
      }
    }
  }

  SUBCASE("GNU tar extracts it identically and zstd -t accepts it")
  {
    const fs::path target = scratch.mkdir("by-tar");
    const fs::path errors = scratch.path() / "tar.err";
    CHECK(shell(fmt::format("tar --zstd -xf '{}' -C '{}' 2>'{}'",
                            archive.string(),
                            target.string(),
                            errors.string()))
          == 0);
    CHECK(read_file(errors) == ""); // no warning about unknown pax keywords
    check_sample(target);
    CHECK(shell(fmt::format("zstd -q -t '{}'", archive.string())) == 0);
  }

  SUBCASE("the archive is a zstd stream of pax headers with nanosecond mtimes")
  {
    CHECK(read_file(archive).substr(0, 4) == "\x28\xb5\x2f\xfd");
    const fs::path raw = scratch.path() / "raw.tar";
    REQUIRE(shell(fmt::format("zstd -q -d -c '{}' >'{}'", archive.string(), raw.string())) == 0);
    const std::string tar = read_file(raw);
    REQUIRE(tar.size() > 512);
    CHECK(tar[156] == 'x'); // a pax extended header first
    CHECK(tar.substr(257, 6) == std::string("ustar\0", 6));
    CHECK(tar.find("mtime=1700000002.123456789\n") != std::string::npos);
  }
}

TEST_CASE("archive::Writer::add_file")
{
  Scratch scratch;
  const fs::path output = scratch.path() / "a.tar.zst";

  SUBCASE("a file of 3 MiB + 1 byte is read in 1 MiB blocks, each one observed")
  {
    const std::string content = pattern(3 * k_mib + 1);
    const fs::path source = scratch.write("big", content);
    std::vector<std::size_t> sizes;
    std::string observed;
    Writer writer(output, WriterOptions{.zstd_level = 1, .threads = 2});
    writer.add_file(file_entry("big", content.size()), source, [&](std::string_view block) {
      sizes.push_back(block.size());
      observed += block;
    });
    writer.finish();
    CHECK(sizes == std::vector<std::size_t>{k_mib, k_mib, k_mib, 1});
    CHECK(observed == content);
    std::vector<std::string> contents;
    read_entries(output, &contents);
    REQUIRE(contents.size() == 1);
    CHECK(contents[0] == content);
  }

  SUBCASE("a 0-byte file is archived, observed never, and extracted empty")
  {
    const fs::path source = scratch.write("empty", "");
    int calls = 0;
    Writer writer(output, WriterOptions{});
    writer.add_file(file_entry("empty"), source, [&](std::string_view) { ++calls; });
    writer.finish();
    CHECK(calls == 0);
    const fs::path target = scratch.mkdir("target");
    CHECK(cell0ctl::archive::extract(output, target).files == 1);
    CHECK(fs::is_regular_file(target / "empty"));
    CHECK(fs::file_size(target / "empty") == 0);
  }

  SUBCASE("a file that shrank since stat is an Error naming it, and the archive is not finished")
  {
    const fs::path source = scratch.write("log", std::string(100, 'a'));
    const Entry entry = file_entry("log", 100);
    fs::resize_file(source, 40);
    Writer writer(output, WriterOptions{});
    try {
      writer.add_file(entry, source);
      FAIL("no Error");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::failed);
      CHECK(std::string(e.what()).find(source.string()) != std::string::npos);
      CHECK(std::string(e.what()).find("changed while being read") != std::string::npos);
    }
    CHECK_THROWS_WITH_AS(
        writer.finish(), doctest::Contains("an earlier error left it incomplete"), Error);
  }

  SUBCASE("content past entry.size is neither read nor written")
  {
    const fs::path source = scratch.write("growing", "0123456789abcdefghij");
    std::string observed;
    Writer writer(output, WriterOptions{});
    writer.add_file(file_entry("growing", 10), source, [&](std::string_view b) { observed += b; });
    writer.finish();
    CHECK(observed == "0123456789");
    std::vector<std::string> contents;
    CHECK(read_entries(output, &contents)[0].size == 10);
    CHECK(contents[0] == "0123456789");
  }

  SUBCASE("a symlink or a fifo as source is an Error, and the archive goes on")
  {
    scratch.write("real", "x");
    fs::create_symlink("real", scratch.path() / "alias");
    REQUIRE(::mkfifo((scratch.path() / "pipe").c_str(), 0600) == 0);
    Writer writer(output, WriterOptions{});
    CHECK_THROWS_WITH_AS(writer.add_file(file_entry("alias", 1), scratch.path() / "alias"),
                         doctest::Contains("it is a symlink"),
                         Error);
    CHECK_THROWS_WITH_AS(writer.add_file(file_entry("pipe", 1), scratch.path() / "pipe"),
                         doctest::Contains("not a regular file"),
                         Error);
    writer.add_data(file_entry("MANIFEST"), "{}\n");
    writer.finish();
    std::vector<std::string> contents;
    CHECK(text_of(read_entries(output, &contents).at(0)) == text_of(file_entry("MANIFEST", 3)));
    CHECK(contents[0] == "{}\n");
  }
}

TEST_CASE("archive::Writer")
{
  Scratch scratch;
  const fs::path output = scratch.path() / "a.tar.zst";

  SUBCASE("a name that is not UTF-8 comes back as the same bytes")
  {
    const std::string name = "latin1-caf\xe9.txt";
    {
      Writer writer(output, WriterOptions{});
      writer.add_data(file_entry(name), "x");
      writer.finish();
    }
    CHECK(read_entries(output).at(0).path == name);
    const fs::path target = scratch.mkdir("target");
    CHECK(cell0ctl::archive::extract(output, target).files == 1);
    CHECK(read_file(target / name) == "x");
  }
}

TEST_CASE("archive::Writer errors")
{
  Scratch scratch;
  const fs::path output = scratch.path() / "a.tar.zst";

  SUBCASE("an output in a missing folder is an Error naming it")
  {
    const fs::path missing = scratch.path() / "no/such/a.tar.zst";
    CHECK_THROWS_WITH_AS(
        Writer(missing, WriterOptions{}), doctest::Contains(missing.c_str()), Error);
  }

  SUBCASE("a zstd level out of range is an Error")
  {
    CHECK_THROWS_WITH_AS(
        Writer(output, WriterOptions{.zstd_level = 99}), doctest::Contains("zstd level 99"), Error);
  }

  SUBCASE("entries must have relative paths in normal form")
  {
    Writer writer(output, WriterOptions{});
    for (const char* bad : {"", "/etc/passwd", "../x", "a/../b", "./a", "a//b", "a/"}) {
      CAPTURE(bad);
      CHECK_THROWS_AS(writer.add_data(file_entry(bad), "x"), Error);
    }
    Entry link = file_entry("link");
    CHECK_THROWS_AS(writer.add_symlink(link), Error); // no target
    writer.finish();
    CHECK(read_entries(output).empty());
  }

  SUBCASE("the archive is created with mode 0600")
  {
    Writer writer(output, WriterOptions{});
    writer.finish();
    CHECK((fs::status(output).permissions() & fs::perms::all) == fs::perms(0600));
    CHECK_THROWS_WITH_AS(writer.finish(), doctest::Contains("already finished"), Error);
  }

  SUBCASE("an archive destroyed before finish() is not readable as complete")
  {
    {
      Writer writer(output, WriterOptions{});
      writer.add_data(file_entry("a"), std::string(200000, 'a'));
    }
    CHECK_THROWS_AS(read_entries(output), Error);
    CHECK(shell(fmt::format("zstd -q -t '{}' 2>/dev/null", output.string())) != 0);
  }
}

TEST_CASE("archive::read")
{
  Scratch scratch;

  SUBCASE("content that the visitor does not read, or reads in part, is skipped")
  {
    const fs::path output = scratch.path() / "a.tar.zst";
    Writer writer(output, WriterOptions{});
    writer.add_data(file_entry("one"), std::string(3 * k_mib, '1'));
    writer.add_data(file_entry("two"), std::string(3 * k_mib, '2'));
    writer.add_data(file_entry("three"), "3");
    writer.finish();
    std::vector<std::string> seen;
    cell0ctl::archive::read(output, [&](const Entry& entry, const NextBlock& next_block) {
      std::string_view block;
      if (entry.path == "two" && next_block(block)) {
        CHECK(block.front() == '2');
      }
      if (entry.path == "three" && next_block(block)) {
        CHECK(block == "3");
        CHECK_FALSE(next_block(block));
      }
      seen.push_back(entry.path);
    });
    CHECK(seen == std::vector<std::string>{"one", "two", "three"});
  }

  SUBCASE("a missing or non-archive file is an Error naming it")
  {
    const fs::path missing = scratch.path() / "missing.tar.zst";
    CHECK_THROWS_WITH_AS(read_entries(missing), doctest::Contains(missing.c_str()), Error);
    const fs::path text = scratch.write("notes.txt", "not an archive at all\n");
    CHECK_THROWS_WITH_AS(read_entries(text), doctest::Contains(text.c_str()), Error);
  }
}

TEST_CASE("archive::extract")
{
  Scratch scratch;
  std::vector<Entry> written;
  const fs::path archive = write_sample(scratch, written);
  const fs::path target = scratch.mkdir("target");

  SUBCASE("`only` selects paths and what lies below them, and the folders above them")
  {
    const ExtractResult result =
        cell0ctl::archive::extract(archive, target, {"etc/cell0.json", "locked/", "link"});
    CHECK(result.files == 2);
    CHECK(result.refused.empty());
    CHECK(read_file(target / "etc/cell0.json") == "{\"agent\": true}\n");
    CHECK((fs::status(target / "etc").permissions() & fs::perms::all) == fs::perms(0750));
    CHECK(read_file(target / "locked/inside.txt") == "inside\n");
    CHECK(fs::is_symlink(target / "link"));
    CHECK_FALSE(fs::exists(target / "etc/empty"));
    CHECK_FALSE(fs::exists(target / "bin"));
    CHECK_FALSE(fs::exists(target / "big.bin"));
  }

  SUBCASE("a prefix selects whole path elements only")
  {
    CHECK(cell0ctl::archive::extract(archive, target, {"bi"}).files == 0);
    CHECK(cell0ctl::archive::extract(archive, target, {"bin"}).files == 1);
    CHECK(fs::exists(target / "bin/run.sh"));
  }

  SUBCASE("an absolute or '..' selection is a usage Error")
  {
    for (const char* bad : {"/etc", "../etc"}) {
      CAPTURE(bad);
      try {
        cell0ctl::archive::extract(archive, target, {bad});
        FAIL("no Error");
      } catch (const Error& e) {
        CHECK(e.code() == Errc::usage);
      }
    }
  }

  SUBCASE("a target that is not a folder is an Error, and the working directory is kept")
  {
    const fs::path before = fs::current_path();
    CHECK_THROWS_WITH_AS(cell0ctl::archive::extract(archive, target / "missing"),
                         doctest::Contains("not a folder"),
                         Error);
    cell0ctl::archive::extract(archive, target);
    CHECK(fs::current_path() == before);
  }

  SUBCASE("owners are restored only as root and when asked")
  {
    if (::geteuid() != 0) {
      MESSAGE("skipped: not running as root");
      return;
    }
    const fs::path output = scratch.path() / "owned.tar.zst";
    Entry entry = file_entry("owned");
    entry.uid = 4321;
    entry.gid = 8765;
    Writer writer(output, WriterOptions{});
    writer.add_data(entry, "x");
    writer.finish();
    cell0ctl::archive::extract(output, target);
    CHECK(fs::exists(target / "owned"));
    struct stat info = {};
    REQUIRE(::lstat((target / "owned").c_str(), &info) == 0);
    CHECK(info.st_uid == 0);
    cell0ctl::archive::extract(output, target, {}, true);
    REQUIRE(::lstat((target / "owned").c_str(), &info) == 0);
    CHECK(info.st_uid == 4321);
    CHECK(info.st_gid == 8765);
  }
}
