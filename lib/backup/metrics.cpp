// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/metrics.hpp"

#include "lib/backup/repository.hpp"
#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl::backup {

namespace {

// A metric family: a gauge with one sample per file.
struct Family
{
  std::string_view name;
  std::string_view help;
};

constexpr Family k_last_run{"cell0ctl_backup_last_run_timestamp_seconds",
                            "Unix time the last cell0ctl backup run of this operation started."};
constexpr Family k_last_run_success{
    "cell0ctl_backup_last_run_success",
    "Whether the last run of this operation succeeded (1) or failed (0)."};
constexpr Family k_last_success{
    "cell0ctl_backup_last_success_timestamp_seconds",
    "Unix time the last successful run of this operation ended; kept by failed runs."};
constexpr Family k_duration{"cell0ctl_backup_duration_seconds",
                            "How long the last run of this operation took."};
constexpr Family k_newest{"cell0ctl_backup_newest_snapshot_timestamp_seconds",
                          "Unix time of the newest good snapshot in the repository."};
constexpr Family k_rpo{
    "cell0ctl_backup_rpo_seconds",
    "Age of the newest snapshot when the last run ended; it does not grow between runs, so "
    "alerts should use time() - cell0ctl_backup_newest_snapshot_timestamp_seconds."};
constexpr Family k_rto{
    "cell0ctl_backup_rto_seconds",
    "How long the last measured restore (cell0ctl backup verify --restore) took: the RTO."};
constexpr Family k_rto_measured{
    "cell0ctl_backup_rto_measured_timestamp_seconds",
    "Unix time the RTO was last measured by cell0ctl backup verify --restore."};
constexpr Family k_stored_bytes{
    "cell0ctl_backup_stored_bytes",
    "Bytes the snapshot takes in the repository (archive and manifest)."};
constexpr Family k_data_bytes{"cell0ctl_backup_data_bytes",
                              "Bytes of file content in the snapshot."};
constexpr Family k_files{"cell0ctl_backup_files", "Files in the snapshot."};
constexpr Family k_snapshots{"cell0ctl_backup_snapshots", "Snapshots in the repository."};
constexpr Family k_snapshot_info{
    "cell0ctl_backup_snapshot_info",
    "The kind of snapshot the last successful run made or checked, as a label."};

// A label value as the text format wants it: \\, \" and \n escaped.
std::string escape_label(std::string_view value)
{
  std::string out;
  out.reserve(value.size());
  for (const char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string labels(const BackupMetrics& metrics)
{
  return fmt::format("repository=\"{}\",operation=\"{}\"",
                     escape_label(metrics.repository),
                     escape_label(metrics.operation));
}

// A sample value: shortest round-trip form, with the text format's spelling of NaN and Inf.
std::string value(double number)
{
  if (std::isnan(number)) {
    return "NaN";
  }
  if (std::isinf(number)) {
    return number > 0 ? "+Inf" : "-Inf";
  }
  return fmt::format("{}", number);
}

// Text-format families whose samples share one set of labels.
class Writer
{
public:
  explicit Writer(std::string common_labels) : m_labels(std::move(common_labels)) {}

  void add(const Family& family, std::string_view sample, std::string_view extra_labels = {})
  {
    fmt::format_to(std::back_inserter(m_text),
                   "# HELP {0} {1}\n# TYPE {0} gauge\n{0}{{{2}{3}}} {4}\n",
                   family.name,
                   family.help,
                   m_labels,
                   extra_labels,
                   sample);
  }
  void add(const Family& family, double sample) { add(family, value(sample)); }
  void add(const Family& family, std::uint64_t sample) { add(family, fmt::format("{}", sample)); }

  std::string text() && { return std::move(m_text); }

private:
  std::string m_labels;
  std::string m_text;
};

// The value of our sample `name` with exactly `sample_labels` in the text of an old file.
std::optional<double> find_sample(std::string_view text,
                                  std::string_view name,
                                  std::string_view sample_labels)
{
  const std::string prefix = fmt::format("{}{{{}}} ", name, sample_labels);
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(prefix)) {
      continue;
    }
    double number = 0;
    const char* const end = line.data() + line.size();
    const auto [rest, ec] = std::from_chars(line.data() + prefix.size(), end, number);
    if (ec == std::errc() && rest == end && std::isfinite(number)) {
      return number;
    }
  }
  return std::nullopt;
}

std::string read_text(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// `metrics` with what a failed run or one that measured no restore carries forward.
BackupMetrics carry_forward(BackupMetrics metrics, std::string_view old_text)
{
  const std::string sample_labels = labels(metrics);
  if (!metrics.success && !metrics.previous_success_seconds) {
    metrics.previous_success_seconds = find_sample(old_text, k_last_success.name, sample_labels);
  }
  // The newest snapshot can only be this one or a newer one: carrying it lets the staleness
  // alert go on counting when a failed run could not even list the repository.
  if (!metrics.success && !metrics.newest_snapshot_seconds) {
    metrics.newest_snapshot_seconds = find_sample(old_text, k_newest.name, sample_labels);
  }
  if (!metrics.restore_seconds && !metrics.restore_measured_seconds) {
    metrics.restore_seconds = find_sample(old_text, k_rto.name, sample_labels);
    metrics.restore_measured_seconds = find_sample(old_text, k_rto_measured.name, sample_labels);
  }
  return metrics;
}

// Closes `fd` (unless -1), removes `temp` and throws with errno's reason.
[[noreturn]] void fail_write(const fs::path& path,
                             const fs::path& temp,
                             int fd,
                             std::string_view action)
{
  const int error = errno;
  if (fd >= 0) {
    ::close(fd);
  }
  ::unlink(temp.c_str());
  throw Error(Errc::failed,
              fmt::format("cannot write metrics file {}: {} {}: {}",
                          path.string(),
                          action,
                          temp.filename().string(),
                          std::strerror(error)),
              "check the permissions and free space of the metrics folder");
}

// Writes `data` to a temporary file beside `path`, then renames it over `path`.
void write_atomically(const fs::path& path, const fs::path& folder, std::string_view data)
{
  // Hidden and ending in ".tmp": node_exporter reads only "*.prom"; the pid keeps two runs
  // writing the same file apart.
  const fs::path temp = folder / fmt::format(".{}.{}.tmp", path.filename().string(), ::getpid());
  ::unlink(temp.c_str()); // left by a killed run that had our pid
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) {
    fail_write(path, temp, fd, "create");
  }
  if (::fchmod(fd, 0644) != 0) { // open()'s mode went through the umask
    fail_write(path, temp, fd, "chmod");
  }
  while (!data.empty()) {
    const ssize_t written = ::write(fd, data.data(), data.size());
    if (written < 0 && errno == EINTR) {
      continue;
    }
    if (written < 0) {
      fail_write(path, temp, fd, "write");
    }
    data.remove_prefix(static_cast<std::size_t>(written));
  }
  if (::fsync(fd) != 0) {
    fail_write(path, temp, fd, "sync");
  }
  if (::close(fd) != 0) {
    fail_write(path, temp, -1, "close");
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    fail_write(path, temp, -1, "rename");
  }
  sync_path(folder);
}

} // namespace

std::string render_metrics(const BackupMetrics& metrics)
{
  const double ended = metrics.started_seconds + metrics.duration_seconds;
  const std::optional<double> last_success =
      metrics.success ? std::optional(ended) : metrics.previous_success_seconds;
  Writer out(labels(metrics));
  out.add(k_last_run, metrics.started_seconds);
  out.add(k_last_run_success, metrics.success ? "1" : "0");
  if (last_success) {
    out.add(k_last_success, *last_success);
  }
  out.add(k_duration, metrics.duration_seconds);
  if (metrics.newest_snapshot_seconds) {
    out.add(k_newest, *metrics.newest_snapshot_seconds);
    out.add(k_rpo, ended - *metrics.newest_snapshot_seconds);
  }
  if (metrics.restore_seconds) {
    out.add(k_rto, *metrics.restore_seconds);
  }
  if (metrics.restore_measured_seconds) {
    out.add(k_rto_measured, *metrics.restore_measured_seconds);
  }
  if (metrics.success) {
    out.add(k_stored_bytes, metrics.stored_bytes);
    out.add(k_data_bytes, metrics.data_bytes);
    out.add(k_files, metrics.files);
  }
  out.add(k_snapshots, metrics.snapshots);
  if (metrics.success && !metrics.kind.empty()) {
    out.add(k_snapshot_info, "1", fmt::format(",kind=\"{}\"", escape_label(metrics.kind)));
  }
  return std::move(out).text();
}

void write_metrics_file(const fs::path& path, const BackupMetrics& metrics)
{
  const fs::path folder = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) {
    throw Error(Errc::failed,
                fmt::format("cannot write metrics file {}: folder {} does not exist",
                            path.string(),
                            folder.string()),
                "create it, or give a file in node_exporter's --collector.textfile.directory");
  }
  if (fs::is_directory(path, ec)) {
    throw Error(Errc::failed,
                fmt::format("cannot write metrics file {}: it is a folder", path.string()),
                "give a file name ending in .prom, such as cell0ctl-backup.prom");
  }
  write_atomically(path, folder, render_metrics(carry_forward(metrics, read_text(path))));
}

} // namespace cell0ctl::backup
