// SPDX-License-Identifier: GPL-3.0-or-later
// resources.disk, resources.memory, resources.cpu, resources.open-files: the machine against
// what Cell 0 documents (DEPLOYMENT_GUIDE: 4 cores, 8 GB; INSTALLATION: 10 GB of disk;
// TROUBLESHOOTING: ulimit -n 4096 at least, 65536 tuned) and against the configured model.
// Every threshold can be changed: checks.<id>.<key> in cell0ctl's configuration.
#include "checks/common.hpp"
#include "lib/util/strings.hpp"
#include "lib/util/units.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

#include <sched.h>
#include <sys/resource.h>
#include <sys/statvfs.h>

namespace fs = std::filesystem;

namespace cell0ctl::checks {

namespace {

constexpr std::uint64_t k_gib = 1ull << 30u;

Finding run_disk(Context& context)
{
  // The home may not exist yet: measure the filesystem it would be created on.
  fs::path path = context.host_path(context.home());
  std::error_code ec;
  while (!path.empty() && !fs::exists(path, ec) && path != path.root_path()) {
    path = path.parent_path();
  }
  struct statvfs vfs{};
  if (::statvfs(path.c_str(), &vfs) != 0) {
    return unknown("DISK_UNREADABLE", fmt::format("cannot read free space of {}", path.string()));
  }
  const std::uint64_t free = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  const std::uint64_t total = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
  const double percent = total == 0 ? 100.0 : 100.0 * static_cast<double>(free) / static_cast<double>(total);
  const std::uint64_t fail_below = context.size_setting("fail_below", 1 * k_gib);
  const std::uint64_t warn_below = context.size_setting("warn_below", 10 * k_gib);
  const std::string summary = fmt::format("{} free of {} ({:.0f}%) on the filesystem of {}",
                                          util::format_size(free),
                                          util::format_size(total),
                                          percent,
                                          context.home().string());
  const std::string remediation = fmt::format(
      "free space: du -xsh {}/* | sort -h | tail; rotate logs (see data.logs); Cell 0 documents "
      "10 GB free at least",
      context.home().string());
  Finding finding;
  if (free < fail_below) {
    finding = fail("DISK_FULL", summary, remediation);
  } else if (free < warn_below) {
    finding = warn("DISK_LOW", summary, remediation);
  } else {
    finding = ok(summary);
  }
  finding.measurements.push_back({"free", static_cast<double>(free), "bytes"});
  finding.measurements.push_back({"free_percent", percent, "percent"});
  return finding;
}

// Values of /proc/meminfo in bytes.
std::map<std::string, std::uint64_t> read_meminfo(const fs::path& file)
{
  std::map<std::string, std::uint64_t> values;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string name;
    std::uint64_t kib = 0;
    if (fields >> name >> kib && !name.empty() && name.back() == ':') {
      name.pop_back();
      values[name] = kib * 1024;
    }
  }
  return values;
}

Finding run_memory(Context& context)
{
  const auto meminfo = read_meminfo(context.host_path("/proc/meminfo"));
  const auto available_it = meminfo.find("MemAvailable");
  const auto total_it = meminfo.find("MemTotal");
  if (available_it == meminfo.end() || total_it == meminfo.end()) {
    return unknown("MEMINFO_UNREADABLE", "cannot read MemAvailable from /proc/meminfo");
  }
  const std::uint64_t available = available_it->second;
  const std::uint64_t total = total_it->second;
  const std::uint64_t minimum = context.size_setting("min_total", 8 * k_gib);
  Finding finding;
  const std::string summary =
      fmt::format("{} available of {}", util::format_size(available), util::format_size(total));
  // The model Ollama would load must fit in what is available, with some room for Cell 0.
  std::optional<std::uint64_t> model_size;
  std::string model_name;
  if (const auto model = ollama_model(context)) {
    const HttpResponse response = context.get("ollama", "/api/tags");
    if (const auto body = response.answered() ? json_body(response) : std::nullopt) {
      if (const nlohmann::json* entry = find_model(*body, *model)) {
        model_size = entry->value("size", std::uint64_t{0});
        model_name = *model;
      }
    }
  }
  if (model_size && *model_size > 0) {
    const auto needed = static_cast<std::uint64_t>(static_cast<double>(*model_size) * 1.2);
    const std::string with_model = fmt::format("{}; model {} needs about {}",
                                               summary,
                                               model_name,
                                               util::format_size(needed));
    if (needed > available) {
      finding = fail("MEMORY_TOO_SMALL_FOR_MODEL",
                     with_model,
                     fmt::format("use a smaller or more quantized model than {}: ollama pull "
                                 "<model> (a 3B, or a q4_K_M tag of it), then set agent.model to "
                                 "ollama/<model>; or free memory",
                                 model_name));
    } else {
      finding = ok(with_model);
    }
  } else if (total < minimum) {
    finding = warn("MEMORY_BELOW_MINIMUM",
                   fmt::format("{}; Cell 0 documents {} at least", summary, util::format_size(minimum)),
                   "use a machine with more memory, or small models only (qwen2.5:3b, phi3:mini)");
  } else {
    finding = ok(summary);
  }
  finding.measurements.push_back({"available", static_cast<double>(available), "bytes"});
  finding.measurements.push_back({"total", static_cast<double>(total), "bytes"});
  if (model_size) {
    finding.measurements.push_back({"model_size", static_cast<double>(*model_size), "bytes"});
  }
  return finding;
}

Finding run_cpu(Context& context)
{
  cpu_set_t set;
  CPU_ZERO(&set);
  const int cpus = ::sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) : 0;
  if (cpus <= 0) {
    return unknown("CPU_UNREADABLE", "cannot count the CPUs this process may use");
  }
  const double minimum = context.number_setting("min", 4);
  Finding finding =
      cpus < minimum
          ? warn("CPU_BELOW_MINIMUM",
                 fmt::format("{} CPU{}; Cell 0 documents {} at least (8 recommended)",
                             cpus,
                             cpus == 1 ? "" : "s",
                             minimum),
                 "give the machine more cores, or lower checks.resources.cpu.min in cell0ctl's "
                 "configuration if this is a known small deployment")
          : ok(fmt::format("{} CPU{}", cpus, cpus == 1 ? "" : "s"));
  finding.measurements.push_back({"cpus", static_cast<double>(cpus), "count"});
  return finding;
}

// The soft limit of open files of `pid` from /proc/<pid>/limits.
std::optional<std::uint64_t> open_files_limit(const fs::path& limits)
{
  std::ifstream in(limits);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream fields(line.substr(14));
      std::string soft;
      fields >> soft;
      unsigned long long value = 0;
      if (soft == "unlimited") {
        return std::numeric_limits<std::uint64_t>::max();
      }
      if (util::parse_uint(soft, value)) {
        return value;
      }
    }
  }
  return std::nullopt;
}

Finding run_open_files(Context& context)
{
  std::optional<std::uint64_t> limit;
  std::string whose = "this shell";
  const auto daemons = cell0d_processes(context);
  if (!daemons.empty()) {
    limit = open_files_limit(context.host_path(fmt::format("/proc/{}/limits", daemons.front()->pid)));
    whose = fmt::format("cell0d (pid {})", daemons.front()->pid);
  }
  if (!limit) {
    struct rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) {
      return unknown("RLIMIT_UNREADABLE", "cannot read the open-file limit");
    }
    limit = rl.rlim_cur == RLIM_INFINITY ? std::numeric_limits<std::uint64_t>::max() : rl.rlim_cur;
    whose = "this shell (cell0d is not running)";
  }
  const auto minimum = static_cast<std::uint64_t>(context.number_setting("min", 4096));
  Finding finding =
      *limit < minimum
          ? warn("OPEN_FILES_LOW",
                 fmt::format("open-file limit of {} is {}; Cell 0 needs {} at least for its "
                             "WebSocket clients (65536 recommended)",
                             whose,
                             *limit,
                             minimum),
                 "raise it where Cell 0 starts: LimitNOFILE=65536 in its systemd unit, or "
                 "`ulimit -n 65536` before `cell0 gateway`")
          : ok(fmt::format("open-file limit of {} is {}", whose, *limit));
  finding.measurements.push_back({"open_files_limit", static_cast<double>(*limit), "count"});
  return finding;
}

} // namespace

extern const Check resources_disk{
    .id = "resources.disk",
    .title = "Enough free disk for the Cell 0 home",
    .tags = tag_doctor | tag_health | tag_backup_preflight,
    .depends_on = {},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_files,
    .run = run_disk,
};

extern const Check resources_memory{
    .id = "resources.memory",
    .title = "Enough memory for the configured model",
    .tags = tag_doctor | tag_health,
    .depends_on = {},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_files | touch_loopback,
    .run = run_memory,
};

extern const Check resources_cpu{
    .id = "resources.cpu",
    .title = "As many CPUs as Cell 0 documents",
    .tags = tag_doctor,
    .depends_on = {},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_processes,
    .run = run_cpu,
};

extern const Check resources_open_files{
    .id = "resources.open-files",
    .title = "The open-file limit is high enough",
    .tags = tag_doctor,
    .depends_on = {},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_processes,
    .run = run_open_files,
};

} // namespace cell0ctl::checks
