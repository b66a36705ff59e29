// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>
#include <string>

namespace cell0ctl::backup {

// Whether `path` starts with SQLite's file header ("SQLite format 3\0").
bool is_sqlite(const std::filesystem::path& path);

// Copies the database `source` to `target` with SQLite's online backup API, so that a writer
// holding it open (WAL or rollback journal) never yields a torn copy; the copy is a single file
// in rollback-journal mode, without -wal/-shm, and must pass PRAGMA quick_check.
// Throws Error(Errc::failed) naming the database.
void copy_sqlite(const std::filesystem::path& source, const std::filesystem::path& target);

// Runs PRAGMA `pragma` ("quick_check" or "integrity_check") on `db`, read-only; returns "ok" or
// the first problems SQLite reports.
std::string check_sqlite(const std::filesystem::path& db, const std::string& pragma);

} // namespace cell0ctl::backup
