// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/metrics.hpp"
#include "lib/core/error.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include <sys/stat.h>
#include <unistd.h>

using namespace cell0ctl;
using namespace cell0ctl::backup;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_labels = R"(repository="/var/backups/cell0",operation="backup")";

// A successful backup with every optional value known.
BackupMetrics full_success()
{
  BackupMetrics metrics;
  metrics.repository = "/var/backups/cell0";
  metrics.operation = "backup";
  metrics.success = true;
  metrics.started_seconds = 1'795'000'000;
  metrics.duration_seconds = 12.5;
  metrics.newest_snapshot_seconds = 1'795'000'010;
  metrics.stored_bytes = 4096;
  metrics.data_bytes = 10'000;
  metrics.files = 42;
  metrics.snapshots = 7;
  metrics.restore_seconds = 3.25;
  metrics.restore_measured_seconds = 1'794'900'000;
  metrics.kind = "incremental";
  return metrics;
}

BackupMetrics failure()
{
  BackupMetrics metrics;
  metrics.repository = "/var/backups/cell0";
  metrics.operation = "backup";
  metrics.started_seconds = 1'795'003'600;
  metrics.duration_seconds = 1;
  metrics.snapshots = 7;
  return metrics;
}

std::string sample(std::string_view name, std::string_view value)
{
  return std::string(name) + "{" + std::string(k_labels) + "} " + std::string(value) + "\n";
}

bool contains(const std::string& text, const std::string& part)
{
  return text.find(part) != std::string::npos;
}

// The metric names of the samples in text-format `text`.
std::set<std::string> sample_names(const std::string& text)
{
  std::set<std::string> names;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (!line.empty() && line[0] != '#') {
      names.insert(line.substr(0, line.find('{')));
    }
  }
  return names;
}

std::string read(const fs::path& path)
{
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace

TEST_CASE("render_metrics")
{
  SUBCASE("a success says when it ended, what it stored, the RPO and the RTO")
  {
    const std::string text = render_metrics(full_success());
    CHECK(contains(text, "# HELP cell0ctl_backup_last_run_success "));
    CHECK(contains(text, "# TYPE cell0ctl_backup_last_run_success gauge\n"));
    CHECK(contains(text, sample("cell0ctl_backup_last_run_timestamp_seconds", "1795000000")));
    CHECK(contains(text, sample("cell0ctl_backup_last_run_success", "1")));
    CHECK(contains(text, sample("cell0ctl_backup_last_success_timestamp_seconds", "1795000012.5")));
    CHECK(contains(text, sample("cell0ctl_backup_duration_seconds", "12.5")));
    CHECK(
        contains(text, sample("cell0ctl_backup_newest_snapshot_timestamp_seconds", "1795000010")));
    CHECK(contains(text, sample("cell0ctl_backup_rpo_seconds", "2.5")));
    CHECK(contains(text, sample("cell0ctl_backup_rto_seconds", "3.25")));
    CHECK(contains(text, sample("cell0ctl_backup_rto_measured_timestamp_seconds", "1794900000")));
    CHECK(contains(text, sample("cell0ctl_backup_stored_bytes", "4096")));
    CHECK(contains(text, sample("cell0ctl_backup_data_bytes", "10000")));
    CHECK(contains(text, sample("cell0ctl_backup_files", "42")));
    CHECK(contains(text, sample("cell0ctl_backup_snapshots", "7")));
    CHECK(contains(text,
                   "cell0ctl_backup_snapshot_info{" + std::string(k_labels)
                       + ",kind=\"incremental\"} 1\n"));
  }

  SUBCASE("the RPO's help tells alerts to use time() - newest snapshot")
  {
    CHECK(contains(render_metrics(full_success()),
                   "alerts should use time() - cell0ctl_backup_newest_snapshot_timestamp_seconds"));
  }

  SUBCASE("a failure writes 0, no success time and no sizes it did not measure")
  {
    const std::string text = render_metrics(failure());
    CHECK(contains(text, sample("cell0ctl_backup_last_run_success", "0")));
    CHECK(sample_names(text)
          == std::set<std::string>{"cell0ctl_backup_duration_seconds",
                                   "cell0ctl_backup_last_run_success",
                                   "cell0ctl_backup_last_run_timestamp_seconds",
                                   "cell0ctl_backup_snapshots"});
  }

  SUBCASE("a failure writes the previous success time it is given")
  {
    BackupMetrics metrics = failure();
    metrics.previous_success_seconds = 1'795'000'012.5;
    CHECK(contains(render_metrics(metrics),
                   sample("cell0ctl_backup_last_success_timestamp_seconds", "1795000012.5")));
  }

  SUBCASE("label values escape backslash, double quote and newline")
  {
    BackupMetrics metrics = failure();
    metrics.repository = "C:\\b \"x\"\ny";
    CHECK(
        contains(render_metrics(metrics),
                 R"(cell0ctl_backup_snapshots{repository="C:\\b \"x\"\ny",operation="backup"} 7)"));
  }

  SUBCASE("values that are not numbers are spelled as the text format wants")
  {
    BackupMetrics metrics = failure();
    metrics.duration_seconds = std::numeric_limits<double>::infinity();
    CHECK(contains(render_metrics(metrics), sample("cell0ctl_backup_duration_seconds", "+Inf")));
    metrics.duration_seconds = std::numeric_limits<double>::quiet_NaN();
    CHECK(contains(render_metrics(metrics), sample("cell0ctl_backup_duration_seconds", "NaN")));
  }
}

TEST_CASE("render_metrics passes promtool check metrics")
{
  if (!fs::exists("/usr/bin/promtool")) {
    MESSAGE("skipped: /usr/bin/promtool is missing (apt install prometheus)");
    return;
  }
  test::Scratch scratch;
  BackupMetrics odd = full_success();
  odd.repository = "s3://bucket/a \"b\"\\c\nd";
  for (const BackupMetrics& metrics : {full_success(), failure(), odd}) {
    const fs::path input = scratch.write("metrics.prom", render_metrics(metrics));
    const fs::path output = scratch.path() / "promtool.out";
    const std::string command =
        "promtool check metrics < " + input.string() + " > " + output.string() + " 2>&1";
    INFO("promtool says: ", read(output));
    CHECK(std::system(command.c_str()) == 0);
    CHECK(read(output).empty());
  }
}

TEST_CASE("the alert rules use the metrics render_metrics writes")
{
  const fs::path folder = fs::path(CELL0CTL_SOURCE_ROOT) / "contrib/prometheus";
  const std::set<std::string> written = sample_names(render_metrics(full_success()));
  const std::regex metric_name(R"(cell0ctl_backup_[a-z_]+)");
  for (const char* file : {"cell0ctl-backup.rules.yml", "cell0ctl-backup.rules.test.yml"}) {
    const std::string text = read(folder / file);
    REQUIRE_MESSAGE(!text.empty(), (folder / file).string(), " is missing or empty");
    std::set<std::string> used;
    for (std::sregex_iterator it(text.begin(), text.end(), metric_name), end; it != end; ++it) {
      used.insert(it->str());
    }
    CHECK(!used.empty());
    for (const std::string& name : used) {
      INFO(file, " uses ", name);
      CHECK(written.contains(name));
    }
  }
}

TEST_CASE("write_metrics_file")
{
  test::Scratch scratch;
  const fs::path path = scratch.path() / "cell0ctl-backup.prom";

  SUBCASE("writes mode 0644 whatever the umask, and leaves no temporary file")
  {
    const ::mode_t old_umask = ::umask(077);
    write_metrics_file(path, full_success());
    ::umask(old_umask);
    CHECK(read(path) == render_metrics(full_success()));
    CHECK(fs::status(path).permissions() == fs::perms(0644));
    CHECK(std::distance(fs::directory_iterator(scratch.path()), fs::directory_iterator()) == 1);
  }

  SUBCASE("a failure keeps the last success time of the file it replaces")
  {
    write_metrics_file(path, full_success());
    write_metrics_file(path, failure());
    const std::string text = read(path);
    CHECK(contains(text, sample("cell0ctl_backup_last_run_success", "0")));
    CHECK(contains(text, sample("cell0ctl_backup_last_success_timestamp_seconds", "1795000012.5")));
    write_metrics_file(path, failure()); // and the next failure still does
    CHECK(contains(read(path),
                   sample("cell0ctl_backup_last_success_timestamp_seconds", "1795000012.5")));
  }

  SUBCASE("a failure that could not list the repository keeps the newest snapshot time")
  {
    write_metrics_file(path, full_success());
    write_metrics_file(path, failure());
    const std::string text = read(path);
    CHECK(
        contains(text, sample("cell0ctl_backup_newest_snapshot_timestamp_seconds", "1795000010")));
    CHECK(contains(text, sample("cell0ctl_backup_rpo_seconds", "3591"))); // 1795003601 - that
  }

  SUBCASE("a success replaces the last success time")
  {
    write_metrics_file(path, full_success());
    BackupMetrics later = full_success();
    later.started_seconds += 3600;
    write_metrics_file(path, later);
    CHECK(contains(read(path),
                   sample("cell0ctl_backup_last_success_timestamp_seconds", "1795003612.5")));
  }

  SUBCASE("a run that measured no restore keeps the last RTO and when it was measured")
  {
    write_metrics_file(path, full_success());
    BackupMetrics without_restore = full_success();
    without_restore.restore_seconds.reset();
    without_restore.restore_measured_seconds.reset();
    write_metrics_file(path, without_restore);
    CHECK(contains(read(path), sample("cell0ctl_backup_rto_seconds", "3.25")));
    CHECK(contains(read(path),
                   sample("cell0ctl_backup_rto_measured_timestamp_seconds", "1794900000")));
  }

  SUBCASE("only our own samples with the same labels are carried forward")
  {
    scratch.write("cell0ctl-backup.prom",
                  "cell0ctl_backup_last_success_timestamp_seconds{repository=\"/other\","
                  "operation=\"backup\"} 1\n"
                  "cell0ctl_backup_last_success_timestamp_seconds{repository=\"/var/backups/"
                  "cell0\",operation=\"verify\"} 2\n"
                  "other_last_success_timestamp_seconds{"
                      + std::string(k_labels)
                      + "} 3\n"
                        "cell0ctl_backup_last_success_timestamp_seconds{"
                      + std::string(k_labels) + "} garbage\n");
    write_metrics_file(path, failure());
    CHECK(read(path) == render_metrics(failure()));
  }

  SUBCASE("a missing folder is a clear Error")
  {
    try {
      write_metrics_file(scratch.path() / "missing/cell0ctl-backup.prom", full_success());
      FAIL("no Error was thrown");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::failed);
      CHECK(contains(e.what(),
                     "folder " + (scratch.path() / "missing").string() + " does not exist"));
      CHECK(contains(e.hint(), "--collector.textfile.directory"));
    }
  }

  SUBCASE("a folder where the file should be is a clear Error")
  {
    fs::create_directory(path);
    CHECK_THROWS_WITH_AS(
        write_metrics_file(path, full_success()),
        ("cannot write metrics file " + path.string() + ": it is a folder").c_str(),
        Error);
  }

  SUBCASE("an unwritable folder is an Error and leaves the old file")
  {
    if (::geteuid() == 0) {
      MESSAGE("skipped: root writes to a read-only folder");
      return;
    }
    write_metrics_file(path, full_success());
    fs::permissions(scratch.path(), fs::perms(0555));
    CHECK_THROWS_AS(write_metrics_file(path, failure()), Error);
    fs::permissions(scratch.path(), fs::perms(0700));
    CHECK(read(path) == render_metrics(full_success()));
  }
}
