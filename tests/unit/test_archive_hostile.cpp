// SPDX-License-Identifier: GPL-3.0-or-later
// Hostile archives: whatever they hold, extract() writes nothing outside its target.
#include "lib/archive/archive.hpp"
#include "lib/core/error.hpp"
#include "tests/support/scratch.hpp"

#include <archive.h>
#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <archive_entry.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

// Shows a refused list in failed checks.
template <> struct doctest::StringMaker<std::vector<std::string>>
{
  static String convert(const std::vector<std::string>& lines)
  {
    std::string out = "{";
    for (const std::string& line : lines) {
      out += "\n  \"" + line + "\"";
    }
    return (out + "}").c_str();
  }
};

namespace fs = std::filesystem;
using cell0ctl::Error;
using cell0ctl::archive::Entry;
using cell0ctl::archive::ExtractResult;
using cell0ctl::archive::NextBlock;
using cell0ctl::test::Scratch;

namespace {

// Writes each hostile archive of the corpus into argv[1]; argv[2] is the absolute path of the
// "outside" folder that they aim at. Each holds a benign file before and after its attack.
constexpr const char* k_generator = R"PY(
import os, sys, tarfile
out, outside = sys.argv[1], sys.argv[2]

def member(name, type=tarfile.REGTYPE, data=b"", linkname="", size=None, mode=0o644,
           devmajor=0, devminor=0, mtime=1700000000):
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime, info.linkname = type, mode, mtime, linkname
    info.devmajor, info.devminor = devmajor, devminor
    info.size = len(data) if size is None else size
    raw = info.tobuf(tarfile.PAX_FORMAT, "utf-8", "surrogateescape")
    return raw + data + b"\0" * ((512 - len(data) % 512) % 512)

def archive(name, *members, end=True, tail=b""):
    body = member("ok-before.txt", data=b"before\n") + b"".join(members)
    if end:
        body += member("ok-after.txt", data=b"after\n") + b"\0" * 1024
    with open(os.path.join(out, name), "wb") as f:
        f.write(body + tail)

archive("dotdot.tar", member("../outside/x", data=b"evil\n"))
archive("dotdot-inner.tar", member("a/../../outside/y", data=b"evil\n"))
archive("absolute.tar", member(outside + "/abs", data=b"evil\n"))
archive("symlink-relative.tar", member("link", tarfile.SYMTYPE, linkname="../outside"),
        member("link/z", data=b"evil\n"))
archive("symlink-absolute.tar", member("alink", tarfile.SYMTYPE, linkname=outside),
        member("alink/w", data=b"evil\n"))
archive("symlink-folder.tar", member("dlink", tarfile.SYMTYPE, linkname="../outside"),
        member("dlink/sub", tarfile.DIRTYPE, mode=0o777), member("dlink/sub/f", data=b"evil\n"))
archive("hardlink-relative.tar", member("h", tarfile.LNKTYPE, linkname="../outside/secret"))
archive("hardlink-absolute.tar", member("h", tarfile.LNKTYPE, linkname=outside + "/secret"))
archive("hardlink-via-symlink.tar", member("s", tarfile.SYMTYPE, linkname="../outside"),
        member("h", tarfile.LNKTYPE, linkname="s/secret"))
archive("hardlink-inside.tar", member("orig", data=b"shared\n"),
        member("h", tarfile.LNKTYPE, linkname="orig"))
archive("devices.tar", member("chr", tarfile.CHRTYPE, devmajor=1, devminor=3),
        member("blk", tarfile.BLKTYPE, devmajor=7, devminor=0), member("fifo", tarfile.FIFOTYPE))
archive("folder-then-symlink.tar", member("d", tarfile.DIRTYPE, mode=0o777, mtime=0),
        member("d", tarfile.SYMTYPE, linkname="../outside"))
archive("existing.tar", member("victim", data=b"new\n"), member("etc/x", data=b"evil\n"))
archive("huge-truncated.tar", member("big", size=1 << 40), end=False, tail=b"A" * 4096)
)PY";

// Runs `command` in a shell; returns its exit status (-1 for a signal).
int shell(const std::string& command)
{
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_file(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Everything below `root` but `skip`: path -> type, mode, links, size, mtime and content.
std::map<std::string, std::string> walk(const fs::path& root, const fs::path& skip)
{
  std::map<std::string, std::string> tree;
  for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->path() == skip) {
      it.disable_recursion_pending();
      continue;
    }
    struct stat info = {};
    REQUIRE(::lstat(it->path().c_str(), &info) == 0);
    tree[it->path().string()] = fmt::format(
        "{:o} {} {} {}.{}{}",
        info.st_mode,
        info.st_nlink,
        info.st_size,
        info.st_mtim.tv_sec,
        info.st_mtim.tv_nsec,
        S_ISREG(info.st_mode) && info.st_size < (1 << 20) ? " " + read_file(it->path()) : "");
  }
  return tree;
}

// Checks that `target` holds only files, folders and symlinks.
void check_no_special_files(const fs::path& target)
{
  for (const auto& item : fs::recursive_directory_iterator(target)) {
    CAPTURE(item.path());
    const fs::file_status status = item.symlink_status();
    CHECK((fs::is_regular_file(status) || fs::is_directory(status) || fs::is_symlink(status)));
  }
}

// A 1 TiB sparse file of 4 KiB of data, written with libarchive (Python cannot).
void write_sparse(const fs::path& path)
{
  ::archive* writer = archive_write_new();
  archive_write_set_format_pax(writer);
  REQUIRE(archive_write_open_filename(writer, path.c_str()) == ARCHIVE_OK);
  archive_entry* entry = archive_entry_new();
  archive_entry_set_pathname(entry, "sparse");
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  const la_int64_t size = la_int64_t{1} << 40;
  archive_entry_set_size(entry, size);
  archive_entry_sparse_add_entry(entry, size - 4096, 4096);
  REQUIRE(archive_write_header(writer, entry) == ARCHIVE_OK);
  const std::string data(4096, 'x');
  REQUIRE(archive_write_data(writer, data.data(), data.size()) == 4096);
  archive_entry_free(entry);
  entry = archive_entry_new();
  archive_entry_set_pathname(entry, "ok-after.txt");
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, 0644);
  archive_entry_set_size(entry, 6);
  REQUIRE(archive_write_header(writer, entry) == ARCHIVE_OK);
  REQUIRE(archive_write_data(writer, "after\n", 6) == 6);
  archive_entry_free(entry);
  REQUIRE(archive_write_close(writer) == ARCHIVE_OK);
  archive_write_free(writer);
}

// A scratch folder with the corpus, an "outside" folder holding a secret, and a new target for
// each extraction next to it.
class Corpus
{
public:
  Corpus()
  {
    m_outside = m_scratch.mkdir("outside", fs::perms(0755));
    m_scratch.write("outside/secret", "secret\n", fs::perms(0644));
    m_corpus = m_scratch.mkdir("corpus");
    const fs::path script = m_scratch.write("generate.py", k_generator);
    REQUIRE(shell(fmt::format(
                "python3 '{}' '{}' '{}'", script.string(), m_corpus.string(), m_outside.string()))
            == 0);
    write_sparse(m_corpus / "sparse.tar");
    // Some go through zstd, as snapshots do.
    for (const char* name : {"symlink-relative.tar", "hardlink-relative.tar", "devices.tar"}) {
      REQUIRE(shell(fmt::format("zstd -q --rm '{}'", (m_corpus / name).string())) == 0);
    }
    REQUIRE(shell(fmt::format("zstd -q '{}'", (m_corpus / "huge-truncated.tar").string())) == 0);
  }

  const fs::path& outside() const { return m_outside; }
  fs::path archive(const std::string& name) const { return m_corpus / name; }
  fs::path target(const std::string& name) { return m_scratch.mkdir("target-" + name); }
  fs::path path(const std::string& relative) const { return m_scratch.path() / relative; }

  // Runs `extraction` into `target`, then checks that nothing changed in the scratch folder
  // outside `target` and that `target` holds no device or fifo.
  template <typename Extraction> void contained(const fs::path& target, Extraction&& extraction)
  {
    const auto before = walk(m_scratch.path(), target);
    extraction();
    CHECK(walk(m_scratch.path(), target) == before);
    check_no_special_files(target);
  }

  // Extracts archive `name` into a new target, contained; the benign files must be there.
  ExtractResult extract(const std::string& name)
  {
    const fs::path into = target(name);
    ExtractResult result;
    contained(into, [&] { result = cell0ctl::archive::extract(archive(name), into); });
    CHECK(read_file(into / "ok-before.txt") == "before\n");
    CHECK(read_file(into / "ok-after.txt") == "after\n");
    return result;
  }

private:
  Scratch m_scratch;
  fs::path m_outside;
  fs::path m_corpus;
};

using Refused = std::vector<std::string>;

} // namespace

TEST_CASE("archive::extract with hostile archives")
{
  Corpus corpus;
  const std::string outside = corpus.outside().string();

  SUBCASE("paths with '..' and absolute paths are refused")
  {
    CHECK(corpus.extract("dotdot.tar").refused == Refused{"../outside/x: path contains '..'"});
    CHECK(corpus.extract("dotdot-inner.tar").refused
          == Refused{"a/../../outside/y: path contains '..'"});
    CHECK(corpus.extract("absolute.tar").refused == Refused{outside + "/abs: absolute path"});
  }

  SUBCASE("a symlink from the archive is restored, but nothing is written through it")
  {
    CHECK(corpus.extract("symlink-relative.tar.zst").refused
          == Refused{"link/z: cannot extract through symlink 'link'"});
    CHECK(corpus.extract("symlink-absolute.tar").refused
          == Refused{"alink/w: cannot extract through symlink 'alink'"});
    CHECK(corpus.extract("symlink-folder.tar").refused
          == Refused{"dlink/sub/: cannot extract through symlink 'dlink'",
                     "dlink/sub/f: cannot extract through symlink 'dlink'"});
    CHECK(fs::read_symlink(corpus.path("target-symlink-relative.tar.zst/link")) == "../outside");
  }

  SUBCASE("hard links to a file outside, directly or through a symlink, are refused")
  {
    const std::string why = "not a file extracted inside the target";
    CHECK(corpus.extract("hardlink-relative.tar.zst").refused
          == Refused{"h: hard link to '../outside/secret', " + why});
    CHECK(corpus.extract("hardlink-absolute.tar").refused
          == Refused{"h: hard link to '" + outside + "/secret', " + why});
    CHECK(corpus.extract("hardlink-via-symlink.tar").refused
          == Refused{"h: hard link to 's/secret', " + why});
  }

  SUBCASE("a hard link to a file extracted earlier is restored")
  {
    const ExtractResult result = corpus.extract("hardlink-inside.tar");
    CHECK(result.refused.empty());
    CHECK(result.files == 4);
    const fs::path into = corpus.path("target-hardlink-inside.tar");
    CHECK(fs::equivalent(into / "h", into / "orig"));
    CHECK(fs::hard_link_count(into / "orig") == 2);
  }

  SUBCASE("devices and fifos are refused, not created")
  {
    CHECK(corpus.extract("devices.tar.zst").refused
          == Refused{"chr: a character device, not restored",
                     "blk: a block device, not restored",
                     "fifo: a fifo, not restored"});
  }

  SUBCASE("a folder replaced by a symlink does not get its mode or time applied outside")
  {
    CHECK(corpus.extract("folder-then-symlink.tar").refused.empty());
    CHECK((fs::status(corpus.outside()).permissions() & fs::perms::all) == fs::perms(0755));
  }

  SUBCASE("a 1 TiB sparse file is refused")
  {
    const fs::path into = corpus.target("sparse");
    ExtractResult result;
    corpus.contained(
        into, [&] { result = cell0ctl::archive::extract(corpus.archive("sparse.tar"), into); });
    CHECK(result.refused == Refused{"sparse: sparse file, not restored"});
    CHECK(read_file(into / "ok-after.txt") == "after\n");
    CHECK_THROWS_WITH_AS(cell0ctl::archive::read(corpus.archive("sparse.tar"),
                                                 [](const Entry&, const NextBlock&) {}),
                         doctest::Contains("a sparse file"),
                         Error);
  }

  SUBCASE("a truncated entry declaring 1 TiB is a clean Error, fast")
  {
    for (const char* name : {"huge-truncated.tar", "huge-truncated.tar.zst"}) {
      CAPTURE(name);
      const fs::path into = corpus.target(name);
      const auto start = std::chrono::steady_clock::now();
      corpus.contained(into, [&] {
        CHECK_THROWS_WITH_AS(cell0ctl::archive::extract(corpus.archive(name), into),
                             doctest::Contains("Truncated tar archive"),
                             Error);
      });
      CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(10));
      CHECK(read_file(into / "ok-before.txt") == "before\n");
      CHECK_FALSE(fs::exists(into / "big")); // a partial file is removed
      CHECK_THROWS_AS(cell0ctl::archive::read(corpus.archive(name),
                                              [](const Entry&, const NextBlock& next_block) {
                                                for (std::string_view block; next_block(block);) {
                                                }
                                              }),
                      Error);
    }
  }

  SUBCASE("a truncated zstd stream is a clean Error")
  {
    const fs::path good = corpus.archive("devices.tar.zst");
    const fs::path cut = corpus.archive("cut.tar.zst");
    const std::string bytes = read_file(good);
    std::ofstream(cut, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
    const fs::path into = corpus.target("cut");
    corpus.contained(into, [&] {
      CHECK_THROWS_WITH_AS(
          cell0ctl::archive::extract(cut, into), doctest::Contains(cut.c_str()), Error);
    });
  }

  SUBCASE("a symlink or a hard link already in the target is not written through")
  {
    const fs::path into = corpus.target("existing");
    fs::create_symlink("../outside", into / "etc");
    fs::create_hard_link(corpus.outside() / "secret", into / "victim");
    const ExtractResult result = cell0ctl::archive::extract(corpus.archive("existing.tar"), into);
    CHECK(result.refused == Refused{"etc/x: cannot extract through symlink 'etc'"});
    CHECK(read_file(into / "victim") == "new\n");
    CHECK(fs::hard_link_count(into / "victim") == 1);
    CHECK(read_file(corpus.outside() / "secret") == "secret\n");
    CHECK_FALSE(fs::exists(corpus.outside() / "x"));
  }

  SUBCASE("read refuses what an Entry cannot describe")
  {
    const auto visit = [](const Entry&, const NextBlock&) {};
    CHECK_THROWS_WITH_AS(cell0ctl::archive::read(corpus.archive("dotdot.tar"), visit),
                         doctest::Contains("path contains '..'"),
                         Error);
    CHECK_THROWS_WITH_AS(cell0ctl::archive::read(corpus.archive("devices.tar.zst"), visit),
                         doctest::Contains("a character device"),
                         Error);
  }
}
