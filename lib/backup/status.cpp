// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/status.hpp"

#include "lib/backup/api.hpp"
#include "lib/backup/sqlite_copy.hpp"
#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace fs = std::filesystem;

namespace cell0ctl::backup {

namespace {

RestoreTest restore_test_of(const nlohmann::json& record)
{
  RestoreTest test;
  test.id = record.value("id", "");
  test.time_ns = record.value("time_ns", std::int64_t{0});
  test.seconds = record.value("seconds", 0.0);
  test.ok = record.value("ok", false);
  test.files = record.value("files", std::uint64_t{0});
  test.bytes = record.value("bytes", std::uint64_t{0});
  test.problems = record.value("problems", std::vector<std::string>{});
  return test;
}

// Checks every line of a JSONL file; returns the first problem.
std::optional<std::string> check_jsonl(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (!line.empty() && line != "\r" && !nlohmann::json::accept(line)) {
      return fmt::format("line {} is not JSON", number);
    }
  }
  return std::nullopt;
}

std::int64_t now_ns()
{
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

RepositoryStatus repository_status(const Repository& repository)
{
  RepositoryStatus status;
  for (const SnapshotInfo& snapshot : repository.list()) {
    ++status.snapshots;
    status.stored_bytes += snapshot.stored_bytes;
    status.newest = snapshot;
    if (snapshot.kind == "full") {
      status.newest_full = snapshot;
    }
  }
  if (const auto record = repository.last_restore_test()) {
    status.restore_test = restore_test_of(*record);
  }
  return status;
}

RestoreTest test_restore(const Repository& repository, const std::string& id, const fs::path& scratch,
                         const RestoreOptions& keys, const std::function<double()>& fetch)
{
  std::error_code ec;
  fs::create_directories(scratch, ec);
  std::string pattern = (scratch / "cell0ctl-restore-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw Error(Errc::failed, fmt::format("cannot create a folder in {}: {}", scratch.string(),
                                          std::strerror(errno)),
                "give a writable folder with room for a whole snapshot: --scratch DIR");
  }
  const fs::path folder = pattern;
  RestoreTest test;
  test.id = id;
  test.time_ns = now_ns();
  try {
    const double fetched = fetch ? fetch() : 0.0;
    RestoreOptions options = keys;
    options.repository = repository.root();
    options.snapshot = id;
    options.to = folder / "restored";
    const RestoreResult restored = snapshot_api().restore(options);
    test.seconds = fetched + restored.seconds;
    test.files = restored.files;
    test.bytes = restored.bytes;
    for (const std::string& refused : restored.refused) {
      test.problems.push_back("refused: " + refused);
    }
    for (const auto& file : restored.manifest_files) {
      const std::string type = file.value("type", "");
      const fs::path path = options.to / file.value("path", "");
      if (type == "sqlite") {
        if (const std::string result = check_sqlite(path, "integrity_check"); result != "ok") {
          test.problems.push_back(fmt::format("{}: integrity_check: {}", file.value("path", ""), result));
        }
      } else if (type == "jsonl" && path.extension() == ".jsonl") { // not the plain .log files
        if (const auto problem = check_jsonl(path)) {
          test.problems.push_back(fmt::format("{}: {}", file.value("path", ""), *problem));
        }
      }
    }
  } catch (const Error& e) {
    test.problems.push_back(e.what());
  }
  fs::remove_all(folder, ec);
  test.ok = test.problems.empty();
  repository.record_restore_test({{"id", test.id},
                                  {"time_ns", test.time_ns},
                                  {"seconds", test.seconds},
                                  {"ok", test.ok},
                                  {"files", test.files},
                                  {"bytes", test.bytes},
                                  {"problems", test.problems}});
  return test;
}

} // namespace cell0ctl::backup
