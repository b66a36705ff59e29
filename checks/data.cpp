// SPDX-License-Identifier: GPL-3.0-or-later
// data.memory-vectors, data.sessions, data.logs, data.audit-db: the state Cell 0 writes and
// never cleans: vector files the bootstrap leaves empty (invalid JSON), a session file per
// gateway start that is never removed, logs that are never rotated, and the SQLite audit log.
#include "checks/common.hpp"
#include "lib/util/strings.hpp"
#include "lib/util/units.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <memory>

namespace fs = std::filesystem;

namespace cell0ctl::checks {

namespace {

std::vector<fs::path> files_with_extension(const fs::path& dir, std::string_view extension)
{
  std::vector<fs::path> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == extension && it->is_regular_file(ec)) {
      files.push_back(it->path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

Finding run_vectors(Context& context)
{
  const fs::path dir = context.home("runtime/memory");
  const auto files = files_with_extension(context.host_path(dir), ".vec");
  if (files.empty()) {
    return skip(fmt::format("no vector files in {}", dir.string()));
  }
  std::vector<std::string> empty;
  std::vector<std::string> broken;
  std::size_t entries = 0;
  for (const fs::path& file : files) {
    const fs::path shown = dir / file.filename();
    // Vector files grow to hundreds of megabytes: scanned, never built in memory.
    const JsonShape json = scan_json_file(file);
    if (json.size == 0) {
      empty.push_back(shown.string());
    } else if (!json.parsed) {
      broken.push_back(fmt::format("{}:{}:{}: {}", shown.string(), json.line, json.column, json.error));
    } else if (json.type != "array") {
      broken.push_back(fmt::format("{}: a JSON {}, not an array", shown.string(), json.type));
    } else {
      entries += json.elements;
    }
  }
  if (!broken.empty()) {
    Finding finding = fail("VECTORS_CORRUPT",
                           fmt::format("{} of {} vector files are not JSON arrays: the memory of "
                                       "those categories is lost to the agent",
                                       broken.size(),
                                       files.size()),
                           "restore them from a backup (cell0ctl restore --only runtime/memory), "
                           "or move them aside and let Cell 0 start them afresh");
    finding.details = util::join(broken, "\n");
    return finding;
  }
  if (!empty.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& path : empty) {
      quoted.push_back(shell_quote(path));
    }
    Finding finding = warn("VECTORS_EMPTY",
                           fmt::format("{} of {} vector files are empty (0 bytes, invalid JSON "
                                       "until their first write)",
                                       empty.size(),
                                       files.size()),
                           fmt::format("for f in {}; do printf '[]' > \"$f\"; done",
                                       util::join(quoted, " ")));
    finding.details = "Cell 0's bootstrap creates these files empty; anything that parses them "
                      "before the first write fails.";
    return finding;
  }
  Finding finding = ok(fmt::format("{} vector files, {} entries", files.size(), entries));
  finding.measurements.push_back({"entries", static_cast<double>(entries), "count"});
  return finding;
}

Finding run_sessions(Context& context)
{
  const fs::path dir = context.home("runtime/sessions");
  const auto files = files_with_extension(context.host_path(dir), ".json");
  if (files.empty()) {
    return skip(fmt::format("no session files in {}", dir.string()));
  }
  std::uint64_t bytes = 0;
  std::error_code ec;
  for (const fs::path& file : files) {
    bytes += fs::file_size(file, ec);
  }
  const auto max_files = static_cast<std::size_t>(context.number_setting("max_files", 500));
  const std::uint64_t max_bytes = context.size_setting("max_size", 100ull << 20u);
  const std::string summary = fmt::format("{} session files, {}", files.size(), util::format_size(bytes));
  Finding finding;
  if (files.size() > max_files || bytes > max_bytes) {
    finding = warn("SESSIONS_UNBOUNDED",
                   summary + fmt::format(" (more than {} files or {}): the gateway adds one per "
                                         "start and never removes any",
                                         max_files,
                                         util::format_size(max_bytes)),
                   fmt::format("stop the gateway, then remove sessions idle for 30 days: find {} "
                               "-name '*.json' -mtime +30 -delete",
                               shell_quote(dir.string())));
  } else {
    finding = ok(summary);
  }
  finding.measurements.push_back({"files", static_cast<double>(files.size()), "count"});
  finding.measurements.push_back({"size", static_cast<double>(bytes), "bytes"});
  return finding;
}

// Logs Cell 0 appends to and never rotates.
std::vector<fs::path> log_files(Context& context)
{
  std::vector<fs::path> logs = {
      context.home("runtime/ethics-log.jsonl"),
      context.home("runtime/logs/cell0.log"),
      context.home("logs/cell0d.log"),
  };
  if (const auto& root = context.facts().cell0_root()) {
    logs.push_back(root->value / "logs/audit.log"); // relative to cell0d's working directory
  }
  logs.push_back(context.home("logs/audit.log"));
  return logs;
}

Finding run_logs(Context& context)
{
  const std::uint64_t max = context.size_setting("max_size", 100ull << 20u);
  std::vector<std::string> large;
  std::vector<std::string> sizes;
  std::uint64_t total = 0;
  std::error_code ec;
  for (const fs::path& log : log_files(context)) {
    const auto size = fs::file_size(context.host_path(log), ec);
    if (ec) {
      continue;
    }
    total += size;
    sizes.push_back(fmt::format("{} {}", util::format_size(size), log.string()));
    if (size > max) {
      large.push_back(log.string());
    }
  }
  if (sizes.empty()) {
    return skip("no Cell 0 log files yet");
  }
  Finding finding;
  if (!large.empty()) {
    std::vector<std::string> quoted;
    for (const std::string& path : large) {
      quoted.push_back(shell_quote(path));
    }
    finding = warn("LOGS_TOO_LARGE",
                   fmt::format("{} log file{} over {}: {}",
                               large.size(),
                               large.size() == 1 ? "" : "s",
                               util::format_size(max),
                               util::join(large, ", ")),
                   fmt::format("rotate them: put \"{} {{ weekly rotate 4 compress copytruncate "
                               "missingok }}\" in /etc/logrotate.d/cell0, then logrotate -f "
                               "/etc/logrotate.d/cell0",
                               util::join(quoted, " ")));
  } else {
    finding = ok(fmt::format("{} log files, {} in all", sizes.size(), util::format_size(total)));
  }
  finding.details = util::join(sizes, "\n");
  finding.measurements.push_back({"size", static_cast<double>(total), "bytes"});
  return finding;
}

Finding run_audit_db(Context& context)
{
  std::vector<fs::path> candidates;
  if (const auto& root = context.facts().cell0_root()) {
    candidates.push_back(root->value / "logs/audit.db");
  }
  candidates.push_back(context.home("logs/audit.db"));
  std::error_code ec;
  const auto found = std::find_if(candidates.begin(), candidates.end(), [&](const fs::path& p) {
    return fs::is_regular_file(context.host_path(p), ec);
  });
  if (found == candidates.end()) {
    return skip("no audit.db (cell0d writes it in logs/ of its working directory once a tool runs)");
  }
  const fs::path db_path = *found;
  sqlite3* raw = nullptr;
  const std::string uri = "file:" + context.host_path(db_path).string() + "?mode=ro";
  const int rc = sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close)> db(raw, sqlite3_close);
  const std::string recover = fmt::format(
      "stop cell0d, keep a copy (cp {0} {0}.corrupt), then recover what is readable: sqlite3 {0}.corrupt "
      ".recover | sqlite3 {0}.recovered && mv {0}.recovered {0}",
      shell_quote(db_path.string()));
  if (rc != SQLITE_OK) {
    return fail("AUDIT_DB_UNREADABLE",
                fmt::format("{} cannot be opened: {}", db_path.string(), sqlite3_errmsg(db.get())),
                recover);
  }
  sqlite3_busy_timeout(db.get(), static_cast<int>(context.deadline().remaining().count()));
  sqlite3_stmt* raw_stmt = nullptr;
  std::vector<std::string> problems;
  int prepare = sqlite3_prepare_v2(db.get(), "PRAGMA quick_check", -1, &raw_stmt, nullptr);
  std::unique_ptr<sqlite3_stmt, decltype(&sqlite3_finalize)> stmt(raw_stmt, sqlite3_finalize);
  if (prepare != SQLITE_OK) {
    return fail("AUDIT_DB_CORRUPT",
                fmt::format("{}: {}", db_path.string(), sqlite3_errmsg(db.get())),
                recover);
  }
  int step = SQLITE_ROW;
  while ((step = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt.get(), 0));
    problems.emplace_back(text != nullptr ? text : "");
  }
  if (step == SQLITE_BUSY || step == SQLITE_LOCKED) {
    return unknown("AUDIT_DB_BUSY", fmt::format("{} is locked by a writer", db_path.string()));
  }
  if (step != SQLITE_DONE) {
    return fail("AUDIT_DB_CORRUPT",
                fmt::format("{}: {}", db_path.string(), sqlite3_errmsg(db.get())),
                recover);
  }
  if (problems.size() == 1 && problems.front() == "ok") {
    return ok(fmt::format("{} passes PRAGMA quick_check", db_path.string()));
  }
  Finding finding = fail("AUDIT_DB_CORRUPT",
                         fmt::format("{} fails PRAGMA quick_check ({} problem{})",
                                     db_path.string(),
                                     problems.size(),
                                     problems.size() == 1 ? "" : "s"),
                         recover);
  problems.resize(std::min<std::size_t>(problems.size(), 10));
  finding.details = util::join(problems, "\n");
  return finding;
}

} // namespace

extern const Check data_memory_vectors{
    .id = "data.memory-vectors",
    .title = "Memory vector files are JSON arrays",
    .tags = tag_doctor | tag_backup_preflight,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_files,
    .run = run_vectors,
};

extern const Check data_sessions{
    .id = "data.sessions",
    .title = "Session files are not growing without bound",
    .tags = tag_doctor,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_files,
    .run = run_sessions,
};

extern const Check data_logs{
    .id = "data.logs",
    .title = "Logs Cell 0 never rotates are not too large",
    .tags = tag_doctor | tag_backup_preflight,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_files,
    .run = run_logs,
};

extern const Check data_audit_db{
    .id = "data.audit-db",
    .title = "The SQLite audit log passes quick_check",
    .tags = tag_doctor | tag_backup_preflight,
    .depends_on = {},
    .timeout = std::chrono::milliseconds(3000),
    .touches = touch_files,
    .run = run_audit_db,
};

} // namespace cell0ctl::checks
