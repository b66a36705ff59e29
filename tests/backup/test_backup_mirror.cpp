// SPDX-License-Identifier: GPL-3.0-or-later
// LocalStore, copy_snapshot(), chain_ids() and the Mirror, on real folders: a LocalStore stands
// for the bucket here (the S3 store itself is tested against s3rver in test_backup_s3.cpp and
// tests/e2e/test_backup_s3.py).
#include "lib/backup/mirror.hpp"
#include "lib/core/error.hpp"
#include "lib/util/sha256.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>
#include <vector>

using namespace cell0ctl;
using namespace cell0ctl::backup;
namespace fs = std::filesystem;

namespace {

// A store that writes down what is done to it, in order, and does it in a LocalStore.
class Recording final : public Store
{
public:
  explicit Recording(fs::path root) : m_store(std::move(root)) {}
  std::vector<std::string> log;

  std::string describe() const override { return m_store.describe(); }
  void put_file(const std::string& name, const fs::path& file) override
  {
    log.push_back("put " + name);
    m_store.put_file(name, file);
  }
  void put(const std::string& name, std::string_view data) override
  {
    log.push_back("put " + name);
    m_store.put(name, data);
  }
  void get(const std::string& name, const std::function<void(std::string_view)>& sink) override
  {
    m_store.get(name, sink);
  }
  void get_file(const std::string& name, const fs::path& file) override
  {
    log.push_back("get " + name);
    m_store.get_file(name, file);
  }
  std::optional<std::string> get_small(const std::string& name) override { return m_store.get_small(name); }
  std::vector<ObjectInfo> list(const std::string& prefix) override { return m_store.list(prefix); }
  void remove(const std::string& name) override
  {
    log.push_back("remove " + name);
    m_store.remove(name);
  }

private:
  LocalStore m_store;
};

// Writes a committed snapshot into the repository folder `root`, as snapshot_create.cpp lays
// it out: an archive whose SHA-256 the manifest records, then the manifest.
void add_snapshot(test::Scratch& scratch, const fs::path& root, const std::string& id, const std::string& kind,
                  const std::string& parent, std::int64_t time_ns, bool sealed = false)
{
  const std::string archive = "archive of " + id;
  const std::string archive_name = id + (sealed ? ".tar.zst.age" : ".tar.zst");
  scratch.write(root / "snapshots" / archive_name, archive);
  nlohmann::json manifest = {{"format", "cell0ctl-snapshot"},
                             {"id", id},
                             {"time_ns", time_ns},
                             {"kind", kind},
                             {"parent", parent},
                             {"archive", {{"name", archive_name}, {"sha256", util::sha256_hex(archive)}}}};
  if (sealed) {
    scratch.write(root / "snapshots" / (id + ".manifest.age"), "sealed manifest of " + id);
    manifest["manifest"] = id + ".manifest.age";
    manifest["encrypted"] = true;
  }
  scratch.write(root / "snapshots" / (id + ".json"), manifest.dump());
}

} // namespace

TEST_CASE("LocalStore: objects are files, partial files are not listed, names stay inside")
{
  test::Scratch scratch;
  LocalStore store(scratch.path() / "repo");
  store.put("snapshots/a.json", "{}");
  scratch.write("repo/snapshots/b.tar.zst.partial", "half");
  scratch.write("repo/lock", "");
  const auto listed = store.list("");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].name == "snapshots/a.json");
  CHECK(listed[0].size == 2);
  CHECK(store.get_small("snapshots/a.json") == "{}");
  CHECK_FALSE(store.get_small("snapshots/none.json"));
  CHECK_THROWS_AS(store.put("../outside", "x"), Error);
  CHECK_FALSE(fs::exists(scratch.path() / "outside"));
  store.remove("snapshots/a.json");
  store.remove("snapshots/a.json"); // already absent: no error
  CHECK(store.list("").empty());
}

TEST_CASE("copy_snapshot: the archive first, the manifest last; a damaged archive is not copied")
{
  test::Scratch scratch;
  add_snapshot(scratch, scratch.path() / "from", "aaaa1111", "full", "", 1, true);
  LocalStore from(scratch.path() / "from");
  Recording to(scratch.path() / "to");
  copy_snapshot(from, to, "aaaa1111", scratch.path() / "staging");
  CHECK(to.log == std::vector<std::string>{"put snapshots/aaaa1111.tar.zst.age",
                                           "put snapshots/aaaa1111.manifest.age",
                                           "put snapshots/aaaa1111.json"});
  CHECK(scratch.read("to/snapshots/aaaa1111.tar.zst.age") == "archive of aaaa1111");

  add_snapshot(scratch, scratch.path() / "from", "bbbb2222", "full", "", 2);
  scratch.write("from/snapshots/bbbb2222.tar.zst", "archive of bbbb2223"); // one byte differs
  to.log.clear();
  CHECK_THROWS_WITH_AS(copy_snapshot(from, to, "bbbb2222", scratch.path() / "staging"),
                       doctest::Contains("does not match the SHA-256"), Error);
  CHECK(to.log.empty());
  CHECK(committed_ids(to) == std::vector<std::string>{"aaaa1111"});
}

TEST_CASE("chain_ids: from the full to the snapshot; a missing link or a loop is an error")
{
  test::Scratch scratch;
  const fs::path root = scratch.path() / "repo";
  scratch.write("repo/cell0ctl-repository.json", repository_marker_text());
  add_snapshot(scratch, root, "f0000000", "full", "", 1);
  add_snapshot(scratch, root, "d1111111", "differential", "f0000000", 2);
  add_snapshot(scratch, root, "i2222222", "incremental", "d1111111", 3);
  const Repository repository = Repository::open(root);
  CHECK(chain_ids(repository, "i2222222") == std::vector<std::string>{"f0000000", "d1111111", "i2222222"});
  CHECK(chain_ids(repository, "f0000000") == std::vector<std::string>{"f0000000"});
  fs::remove(root / "snapshots/d1111111.json");
  CHECK_THROWS_WITH_AS(chain_ids(repository, "i2222222"), doctest::Contains("builds on d1111111"), Error);
  add_snapshot(scratch, root, "d1111111", "incremental", "i2222222", 2);
  CHECK_THROWS_WITH_AS(chain_ids(repository, "i2222222"), doctest::Contains("loop"), Error);
}

TEST_CASE("Mirror: manifests are pulled once, archives fetched by chain and dropped, removal manifest first")
{
  test::Scratch scratch;
  const fs::path bucket = scratch.path() / "bucket";
  const fs::path mirror_root = scratch.path() / "mirror";
  auto store = std::make_unique<Recording>(bucket);
  Recording& recorded = *store;
  Mirror mirror(std::move(store), mirror_root);

  CHECK_THROWS_WITH_AS(mirror.pull(false), doctest::Contains("is not a cell0ctl backup repository"), Error);
  Repository repository = mirror.pull(true);
  CHECK(fs::exists(bucket / "cell0ctl-repository.json"));
  CHECK(repository.list().empty());

  add_snapshot(scratch, bucket, "f0000000", "full", "", 1);
  add_snapshot(scratch, bucket, "d1111111", "differential", "f0000000", 2);
  add_snapshot(scratch, bucket, "f2222222", "full", "", 3);
  recorded.log.clear();
  repository = mirror.pull(false);
  CHECK(recorded.log == std::vector<std::string>{"get snapshots/d1111111.json", "get snapshots/f0000000.json",
                                                 "get snapshots/f2222222.json"});
  CHECK(repository.mirrored());
  CHECK(repository.name() == bucket.string());
  const auto listed = repository.list();
  REQUIRE(listed.size() == 3);
  // Archives not fetched count, by the store's listing.
  CHECK(listed[0].stored_bytes == fs::file_size(bucket / "snapshots/f0000000.json") + 19);
  CHECK(repository.has_archive(repository.read_manifest("d1111111")));
  CHECK_FALSE(fs::exists(mirror_root / "snapshots/f0000000.tar.zst"));

  recorded.log.clear();
  repository = mirror.pull(false); // nothing new: nothing fetched
  CHECK(recorded.log.empty());

  mirror.fetch(repository, "d1111111");
  CHECK(recorded.log == std::vector<std::string>{"get snapshots/f0000000.tar.zst", "get snapshots/d1111111.tar.zst"});
  CHECK(scratch.read("mirror/snapshots/f0000000.tar.zst") == "archive of f0000000");
  mirror.drop_archives();
  CHECK_FALSE(fs::exists(mirror_root / "snapshots/f0000000.tar.zst"));
  CHECK(fs::exists(mirror_root / "snapshots/f0000000.json"));

  recorded.log.clear();
  mirror.remove(repository, "f2222222");
  CHECK(recorded.log == std::vector<std::string>{"remove snapshots/f2222222.json", "remove snapshots/f2222222.tar.zst"});
  CHECK(Repository::open(mirror_root).list().size() == 2);

  // An upload killed before its manifest: prune's cleaning removes what it left, nothing else.
  scratch.write("bucket/snapshots/e3333333.tar.zst", "half an upload");
  repository = mirror.pull(false);
  recorded.log.clear();
  CHECK(mirror.clean_orphans() == std::vector<std::string>{"snapshots/e3333333.tar.zst"});
  CHECK(recorded.log == std::vector<std::string>{"remove snapshots/e3333333.tar.zst"});
  CHECK(mirror.clean_orphans().empty());

  // Another host removed a snapshot: the next pull forgets it.
  fs::remove(bucket / "snapshots/d1111111.json");
  fs::remove(bucket / "snapshots/d1111111.tar.zst");
  repository = mirror.pull(false);
  REQUIRE(repository.list().size() == 1);
  CHECK(repository.list()[0].id == "f0000000");
}

TEST_CASE("Repository::list keeps the manifests' summaries in index.json, a cache that is never trusted blindly")
{
  test::Scratch scratch;
  const fs::path root = scratch.path() / "repo";
  scratch.write("repo/cell0ctl-repository.json", repository_marker_text());
  add_snapshot(scratch, root, "f0000000", "full", "", 1);
  add_snapshot(scratch, root, "d1111111", "differential", "f0000000", 2);
  const Repository repository = Repository::open(root);
  REQUIRE(repository.list().size() == 2);
  const auto index = nlohmann::json::parse(scratch.read("repo/index.json"));
  CHECK(index["manifests"]["d1111111.json"]["summary"]["parent"] == "f0000000");

  // A manifest replaced (another size): read again, not taken from the index.
  nlohmann::json manifest = nlohmann::json::parse(scratch.read("repo/snapshots/d1111111.json"));
  manifest["kind"] = "incremental";
  manifest["padding"] = "so that the size differs";
  scratch.write("repo/snapshots/d1111111.json", manifest.dump());
  CHECK(repository.list()[1].kind == "incremental");

  // A summary in the index that does not match its manifest's size and mtime is not used.
  auto lying = nlohmann::json::parse(scratch.read("repo/index.json"));
  lying["manifests"]["f0000000.json"]["summary"]["kind"] = "differential";
  lying["manifests"]["f0000000.json"]["size"] = 1;
  scratch.write("repo/index.json", lying.dump());
  CHECK(repository.list()[0].kind == "full");

  // A damaged index, or a removed manifest.
  scratch.write("repo/index.json", "{\"manifests\": [");
  CHECK(repository.list().size() == 2);
  fs::remove(root / "snapshots/f0000000.json");
  CHECK(repository.list().size() == 1);
  CHECK_FALSE(nlohmann::json::parse(scratch.read("repo/index.json"))["manifests"].contains("f0000000.json"));
}
