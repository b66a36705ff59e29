// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/host.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <fstream>

using namespace cell0ctl;
namespace fs = std::filesystem;

namespace {

// A real SQLite database with Cell 0's audit_events table and `rows` rows.
void make_audit_db(const fs::path& path, int rows)
{
  fs::create_directories(path.parent_path());
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  std::string sql = "CREATE TABLE audit_events(id INTEGER PRIMARY KEY, event_hash TEXT UNIQUE, "
                    "timestamp TEXT, tool_name TEXT, agent_id TEXT, action TEXT, details_json TEXT);"
                    "CREATE INDEX idx_tool ON audit_events(tool_name);BEGIN;";
  for (int i = 0; i < rows; ++i) {
    sql += "INSERT INTO audit_events(event_hash, timestamp, tool_name, agent_id, action, details_json) "
           "VALUES (hex(randomblob(8)), '2026-11-25T08:00:00Z', 'exec', 'default', 'ALLOW', "
           "'" + std::string(200, 'x') + "');";
  }
  sql += "COMMIT;";
  REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(db);
}

// Overwrites `length` bytes at `offset` of `path` with garbage.
void damage(const fs::path& path, std::streamoff offset, std::size_t length)
{
  std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
  file.seekp(offset);
  const std::string garbage(length, '\x5a');
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
}

} // namespace

TEST_CASE("data.memory-vectors")
{
  test::Host host;

  SUBCASE("no vector files is a skip")
  {
    CHECK(host.run("data.memory-vectors").status == Status::skip);
  }

  SUBCASE("JSON arrays are fine and their entries counted")
  {
    host.write_home("runtime/memory/social.vec", R"([{"id":"1","text":"a"},{"id":"2","text":"b"}])");
    host.write_home("runtime/memory/travel.vec", "[]");
    const Finding finding = host.run("data.memory-vectors");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "2 vector files, 2 entries");
  }

  SUBCASE("empty files left by the bootstrap are a warning with the exact fix")
  {
    host.write_home("runtime/memory/social.vec", "");
    host.write_home("runtime/memory/travel.vec", "[]");
    const Finding finding = host.run("data.memory-vectors");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "VECTORS_EMPTY");
    CHECK(finding.summary.find("1 of 2 vector files are empty") == 0);
    CHECK(finding.remediation
          == "for f in /home/op/.cell0/runtime/memory/social.vec; do printf '[]' > \"$f\"; done");
  }

  SUBCASE("a corrupt file is a failure located at line:col")
  {
    host.write_home("runtime/memory/social.vec", "[{\"id\": 1,\n  \"text\": }]");
    host.write_home("runtime/memory/other.vec", "{\"not\": \"an array\"}");
    const Finding finding = host.run("data.memory-vectors");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "VECTORS_CORRUPT");
    CHECK(finding.details.find("/home/op/.cell0/runtime/memory/social.vec:2:11: ") != std::string::npos);
    CHECK(finding.details.find("other.vec: a JSON object, not an array") != std::string::npos);
  }
}

TEST_CASE("data.sessions")
{
  test::Host host;

  SUBCASE("a few sessions are fine")
  {
    host.write_home("runtime/sessions/a.json", "{}");
    host.write_home("runtime/sessions/b.json", "{}");
    const Finding finding = host.run("data.sessions");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "2 session files, 4 B");
  }

  SUBCASE("more files than the limit is a warning to prune them")
  {
    host.settings("checks:\n  data.sessions: {max_files: 2}\n");
    for (const char* name : {"a", "b", "c"}) {
      host.write_home(fs::path("runtime/sessions") / (std::string(name) + ".json"), "{}");
    }
    const Finding finding = host.run("data.sessions");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "SESSIONS_UNBOUNDED");
    CHECK(finding.remediation.find("find /home/op/.cell0/runtime/sessions -name '*.json' -mtime +30 -delete")
          != std::string::npos);
  }
}

TEST_CASE("data.logs")
{
  test::Host host;

  SUBCASE("a log over the limit is named with a rotation recipe")
  {
    host.settings("checks:\n  data.logs: {max_size: 1KiB}\n");
    host.write_home("runtime/ethics-log.jsonl", std::string(2048, 'x'));
    host.write_home("runtime/logs/cell0.log", "small\n");
    const Finding finding = host.run("data.logs");
    CHECK(finding.status == Status::warn);
    CHECK(finding.summary == "1 log file over 1.0 KiB: /home/op/.cell0/runtime/ethics-log.jsonl");
    CHECK(finding.remediation.find("/etc/logrotate.d/cell0") != std::string::npos);
  }

  SUBCASE("a wrong size setting is a configuration error naming file:line:col")
  {
    host.settings("checks:\n  data.logs: {max_size: huge}\n");
    host.write_home("runtime/logs/cell0.log", "x");
    const Finding finding = host.run("data.logs");
    CHECK(finding.status == Status::unknown);
    CHECK(finding.code == "CONFIG_ERROR");
    CHECK(finding.summary.find("test.yaml:2:25: checks.data.logs.max_size") == 0);
  }
}

TEST_CASE("data.audit-db")
{
  test::Host host;

  SUBCASE("no database is a skip")
  {
    CHECK(host.run("data.audit-db").status == Status::skip);
  }

  SUBCASE("a sound database passes quick_check")
  {
    make_audit_db(host.on_disk("/home/op/.cell0/logs/audit.db"), 50);
    const Finding finding = host.run("data.audit-db");
    CHECK(finding.status == Status::ok);
  }

  SUBCASE("a damaged database fails with a recovery recipe")
  {
    const fs::path db = host.on_disk("/home/op/.cell0/logs/audit.db");
    make_audit_db(db, 400);
    // Page headers of b-tree pages past the schema: an invalid page type and cell pointers.
    damage(db, 4096 * 2, 64);
    damage(db, 4096 * 9, 64);
    const Finding finding = host.run("data.audit-db");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "AUDIT_DB_CORRUPT");
    CHECK(finding.remediation.find(".recover") != std::string::npos);
  }

  SUBCASE("a file that is not SQLite at all fails")
  {
    host.write_home("logs/audit.db", std::string(8192, 'n'));
    const Finding finding = host.run("data.audit-db");
    CHECK(finding.status == Status::fail);
  }
}
