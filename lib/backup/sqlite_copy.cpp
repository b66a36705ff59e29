// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/sqlite_copy.hpp"

#include "lib/core/error.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <array>
#include <cstring>
#include <fstream>
#include <memory>

namespace fs = std::filesystem;

namespace cell0ctl::backup {

namespace {

using Db = std::unique_ptr<sqlite3, decltype(&sqlite3_close)>;

Db open(const fs::path& path, int flags)
{
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  Db db(raw, sqlite3_close);
  if (rc != SQLITE_OK) {
    throw Error(Errc::failed,
                fmt::format("cannot open SQLite database {}: {}",
                            path.string(),
                            raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

void exec(sqlite3* db, const char* sql, const fs::path& path)
{
  char* message = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
    std::string text = message != nullptr ? message : "unknown error";
    sqlite3_free(message);
    throw Error(Errc::failed, fmt::format("{}: {}: {}", path.string(), sql, text));
  }
}

} // namespace

bool is_sqlite(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::array<char, 16> header{};
  in.read(header.data(), header.size());
  return in.gcount() == 16 && std::memcmp(header.data(), "SQLite format 3\0", 16) == 0;
}

void copy_sqlite(const fs::path& source, const fs::path& target)
{
  std::error_code ec;
  fs::remove(target, ec);
  // Read-write, not read-only: a reader of a WAL database needs the -shm file, and the backup
  // API must see committed WAL frames. Nothing is written to the source.
  Db from = open(source, SQLITE_OPEN_READWRITE);
  Db to = open(target, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  sqlite3_backup* copy = sqlite3_backup_init(to.get(), "main", from.get(), "main");
  if (copy == nullptr) {
    throw Error(Errc::failed,
                fmt::format("cannot back up {}: {}", source.string(), sqlite3_errmsg(to.get())));
  }
  int rc = SQLITE_OK;
  // All pages in one step: the copy is a consistent picture of one transaction. (Copying in
  // slices would restart whenever a writer commits in between.)
  while ((rc = sqlite3_backup_step(copy, -1)) == SQLITE_OK || rc == SQLITE_BUSY
         || rc == SQLITE_LOCKED) {
    sqlite3_sleep(10);
  }
  sqlite3_backup_finish(copy);
  if (rc != SQLITE_DONE) {
    throw Error(Errc::failed,
                fmt::format("backup of SQLite database {} failed: {}", source.string(),
                            sqlite3_errstr(rc)));
  }
  exec(to.get(), "PRAGMA journal_mode=DELETE", target);
  to.reset();
  const std::string check = check_sqlite(target, "quick_check");
  if (check != "ok") {
    throw Error(Errc::failed,
                fmt::format("the copy of SQLite database {} fails quick_check: {}", source.string(),
                            check),
                "check the database itself: sqlite3 <db> 'PRAGMA integrity_check'");
  }
}

std::string check_sqlite(const fs::path& db_path, const std::string& pragma)
{
  Db db = open(db_path, SQLITE_OPEN_READONLY);
  sqlite3_stmt* raw = nullptr;
  const std::string sql = "PRAGMA " + pragma;
  if (sqlite3_prepare_v2(db.get(), sql.c_str(), -1, &raw, nullptr) != SQLITE_OK) {
    return sqlite3_errmsg(db.get());
  }
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw, sqlite3_finalize);
  std::string result;
  int rc = SQLITE_ROW;
  int rows = 0;
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW && rows < 10) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    result += (rows++ > 0 ? "; " : "") + std::string(text != nullptr ? text : "");
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    return sqlite3_errmsg(db.get());
  }
  return result;
}

} // namespace cell0ctl::backup
