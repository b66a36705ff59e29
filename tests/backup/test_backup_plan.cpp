// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/plan.hpp"
#include "lib/backup/repository.hpp"
#include "lib/backup/sqlite_copy.hpp"
#include "lib/core/error.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <algorithm>

using namespace cell0ctl;
using namespace cell0ctl::backup;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> paths(const Plan& plan)
{
  std::vector<std::string> out;
  for (const PlannedFile& file : plan.files) {
    out.push_back(file.path);
  }
  return out;
}

const PlannedFile* find(const Plan& plan, const std::string& path)
{
  const auto it = std::find_if(plan.files.begin(), plan.files.end(),
                               [&](const PlannedFile& f) { return f.path == path; });
  return it == plan.files.end() ? nullptr : &*it;
}

void make_db(const fs::path& path, bool wal)
{
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  const std::string sql = std::string(wal ? "PRAGMA journal_mode=WAL;" : "")
                          + "CREATE TABLE t(x);INSERT INTO t VALUES (1),(2),(3);";
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

} // namespace

TEST_CASE("make_plan")
{
  test::Scratch scratch;
  scratch.write("home/.cell0/cell0.json", "{}");
  scratch.write("home/.cell0/runtime/ethics-log.jsonl", "{}\n");
  scratch.write("home/.cell0/.venv/bin/python3", "x");
  scratch.write("home/.cell0/workspace/node_modules/a/index.js", "x");
  scratch.write("home/.cell0/logs/cache.pyc", "x");
  scratch.write("home/.cell0/logs/audit.db-wal", "x");
  make_db(scratch.path() / "home/.cell0/logs/audit.db", false);
  fs::create_symlink("cell0.json", scratch.path() / "home/.cell0/link");
  const std::vector<SourceRoot> roots = {{"cell0", scratch.path() / "home/.cell0", {}}};

  SUBCASE("stores the state with its kind and leaves out what can be rebuilt")
  {
    const Plan plan = make_plan(roots, {});
    CHECK(paths(plan)
          == std::vector<std::string>{"cell0", "cell0/cell0.json", "cell0/link", "cell0/logs",
                                      "cell0/logs/audit.db", "cell0/runtime",
                                      "cell0/runtime/ethics-log.jsonl", "cell0/workspace"});
    CHECK(find(plan, "cell0/logs/audit.db")->kind == Kind::sqlite);
    CHECK(find(plan, "cell0/runtime/ethics-log.jsonl")->kind == Kind::jsonl);
    CHECK(find(plan, "cell0/link")->kind == Kind::symlink);
    CHECK(find(plan, "cell0/link")->link_target == "cell0.json");
    CHECK(std::count(plan.excluded.begin(), plan.excluded.end(), "cell0/.venv") == 1);
  }

  SUBCASE("--exclude with a path leaves out that folder")
  {
    const Plan plan = make_plan(roots, Selection{{}, {"cell0/runtime"}});
    CHECK(find(plan, "cell0/runtime/ethics-log.jsonl") == nullptr);
    CHECK(find(plan, "cell0/cell0.json") != nullptr);
  }

  SUBCASE("--include keeps only what matches, and the folders leading to it")
  {
    const Plan plan = make_plan(roots, Selection{{"cell0/runtime/*"}, {}});
    CHECK(find(plan, "cell0/runtime/ethics-log.jsonl") != nullptr);
    CHECK(find(plan, "cell0/cell0.json") == nullptr);
  }

  SUBCASE("a root that only names some files stores those and their rotations")
  {
    scratch.write("checkout/logs/audit.log", "a\n");
    scratch.write("checkout/logs/audit.log.1", "b\n");
    scratch.write("checkout/logs/other.log", "c\n");
    const Plan plan = make_plan({{"audit", scratch.path() / "checkout/logs", {"audit.db", "audit.log"}}}, {});
    CHECK(paths(plan) == std::vector<std::string>{"audit", "audit/audit.log", "audit/audit.log.1"});
  }
}

TEST_CASE("matches")
{
  CHECK(matches("*.pyc", "cell0/a/b.pyc"));
  CHECK(matches("node_modules", "cell0/x/node_modules"));
  CHECK_FALSE(matches("node_modules", "cell0/x/node_modules_old"));
  CHECK(matches("cell0/runtime", "cell0/runtime/sessions/a.json"));
  CHECK_FALSE(matches("cell0/runtime", "cell0/runtimes"));
}

TEST_CASE("copy_sqlite")
{
  test::Scratch scratch;

  SUBCASE("a WAL database is copied whole into one file in rollback mode")
  {
    make_db(scratch.path() / "a.db", true);
    copy_sqlite(scratch.path() / "a.db", scratch.path() / "copy.db");
    CHECK(check_sqlite(scratch.path() / "copy.db", "integrity_check") == "ok");
    CHECK_FALSE(fs::exists(scratch.path() / "copy.db-wal"));
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((scratch.path() / "copy.db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1, &stmt, nullptr);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    CHECK(sqlite3_column_int(stmt, 0) == 3);
    sqlite3_finalize(stmt);
    sqlite3_close(db);
  }

  SUBCASE("a file that is not a database is an Error naming it")
  {
    scratch.write("bad.db", std::string(4096, 'x'));
    CHECK_THROWS_AS(copy_sqlite(scratch.path() / "bad.db", scratch.path() / "copy.db"), Error);
    CHECK_FALSE(is_sqlite(scratch.path() / "bad.db"));
  }
}

TEST_CASE("Repository")
{
  test::Scratch scratch;

  SUBCASE("a new repository is created in an empty folder, and reopened")
  {
    const Repository created = Repository::open_or_create(scratch.path() / "repo");
    CHECK(fs::exists(scratch.path() / "repo/cell0ctl-repository.json"));
    CHECK(Repository::open(scratch.path() / "repo").list().empty());
  }

  SUBCASE("a folder with other things in it is not taken over")
  {
    scratch.write("full/precious.txt", "x");
    CHECK_THROWS_AS(Repository::open_or_create(scratch.path() / "full"), Error);
    CHECK_THROWS_AS(Repository::open(scratch.path() / "full"), Error);
  }

  SUBCASE("snapshots are listed oldest first; latest and prefixes resolve")
  {
    const Repository repo = Repository::open_or_create(scratch.path() / "repo");
    write_file_atomically(repo.manifest_path("bbbb2222"),
                          R"({"id":"bbbb2222","time_ns":2,"totals":{"files":3,"bytes":10}})");
    write_file_atomically(repo.manifest_path("aaaa1111"), R"({"id":"aaaa1111","time_ns":1})");
    const auto list = repo.list();
    REQUIRE(list.size() == 2);
    CHECK(list[0].id == "aaaa1111");
    CHECK(list[1].files == 3);
    CHECK(repo.resolve("latest") == "bbbb2222");
    CHECK(repo.resolve("aaa") == "aaaa1111");
    CHECK_THROWS_AS(repo.resolve("cccc"), Error);
  }

  SUBCASE("an archive that no manifest commits is an orphan and is cleaned")
  {
    const Repository repo = Repository::open_or_create(scratch.path() / "repo");
    scratch.write("repo/snapshots/dead0000.tar.zst", "x");
    scratch.write("repo/snapshots/dead0001.tar.zst.partial", "x");
    const auto removed = repo.clean_orphans();
    CHECK(removed.size() == 2);
    CHECK(repo.list().empty());
  }

  SUBCASE("a held lock makes a second taker wait, then fail as busy")
  {
    const Repository repo = Repository::open_or_create(scratch.path() / "repo");
    const Lock held = repo.lock(Deadline::after(std::chrono::milliseconds(100)));
    try {
      const Lock second = repo.lock(Deadline::after(std::chrono::milliseconds(100)));
      FAIL("the second lock was granted");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::busy);
    }
  }
}
