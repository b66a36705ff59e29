// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What a backup, verify or prune run tells Prometheus: a file for node_exporter's textfile
// collector (`--collector.textfile.directory`, which reads only `*.prom` files), in the text
// exposition format. contrib/prometheus/cell0ctl-backup.rules.yml alerts on these metrics.
//
// Every sample has the labels `repository` and `operation`, so that the files of several
// repositories and of backup, verify and prune runs can sit in one folder without colliding.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace cell0ctl::backup {

struct BackupMetrics
{
  std::string repository; // label value, already credential-free
  std::string operation;  // "backup" | "verify" | "prune"
  bool success = false;
  double started_seconds = 0; // unix time
  double duration_seconds = 0;
  std::optional<double> newest_snapshot_seconds; // time of the newest good snapshot
  // Of the snapshot the run made (backup) or checked (verify); for prune, of the repository
  // after it. Written only when the run succeeded: a failed run measured nothing, and a 0
  // would look like an empty backup on a dashboard.
  std::uint64_t stored_bytes = 0;
  std::uint64_t data_bytes = 0;
  std::uint64_t files = 0;
  std::uint64_t snapshots = 0;                    // in the repository; always written
  std::optional<double> restore_seconds;          // RTO: the last `verify --restore` time
  std::optional<double> restore_measured_seconds; // when it was measured (unix time)
  std::string kind; // of the snapshot made: "full", "differential", ...
  // The end of the last successful run, written by a failed run so that a failure does not
  // erase it; write_metrics_file() fills it from the file it replaces.
  std::optional<double> previous_success_seconds;
};

// The metrics in the Prometheus text format, one # HELP and # TYPE per family (all gauges):
//
//   cell0ctl_backup_last_run_timestamp_seconds     `started_seconds`
//   cell0ctl_backup_last_run_success               1 or 0
//   cell0ctl_backup_last_success_timestamp_seconds end of this run when it succeeded, else
//                                                  `previous_success_seconds` (absent if none)
//   cell0ctl_backup_duration_seconds
//   cell0ctl_backup_newest_snapshot_timestamp_seconds         when known
//   cell0ctl_backup_rpo_seconds                    end of the run - newest snapshot, when known
//   cell0ctl_backup_rto_seconds                    when measured
//   cell0ctl_backup_rto_measured_timestamp_seconds when measured
//   cell0ctl_backup_stored_bytes, _data_bytes, _files          when the run succeeded
//   cell0ctl_backup_snapshots
//   cell0ctl_backup_snapshot_info{kind="..."} 1    when the run succeeded and `kind` is set
//
// Label values are escaped (backslash, double quote, newline); the output passes
// `promtool check metrics`.
std::string render_metrics(const BackupMetrics& metrics);

// Writes render_metrics() to `path` for node_exporter, so that a scrape never sees half a file
// and a failure never erases what the last success told:
//
// - When `metrics` is a failure, the last success time is carried forward from the file being
//   replaced, and so is the newest snapshot time when the run could not tell it; when a run
//   measured no restore, the last RTO and its time are carried forward. Only our own samples
//   with the same `repository` and `operation` labels are read; anything else in the old file
//   (or an unreadable one) is ignored, and the new file is written all the same.
// - The file is written as a hidden temporary file in the same folder whose name does not end
//   in ".prom" (node_exporter skips it), with mode 0644 (node_exporter runs as another user),
//   fsynced, then renamed over `path`, and the folder fsynced.
//
// Throws Error(Errc::failed) when the folder of `path` does not exist or cannot be written.
void write_metrics_file(const std::filesystem::path& path, const BackupMetrics& metrics);

} // namespace cell0ctl::backup
