// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/check/check.hpp"

#include <utility>

namespace cell0ctl {

std::string_view to_string(Status status)
{
  switch (status) {
  case Status::ok:
    return "ok";
  case Status::warn:
    return "warn";
  case Status::fail:
    return "fail";
  case Status::skip:
    return "skip";
  case Status::unknown:
    return "unknown";
  }
  return "unknown";
}

int severity(Status status)
{
  switch (status) {
  case Status::ok:
    return 0;
  case Status::skip:
    return 1;
  case Status::warn:
    return 2;
  case Status::unknown:
    return 3;
  case Status::fail:
    return 4;
  }
  return 3;
}

std::vector<std::string_view> tag_names(unsigned tags)
{
  static constexpr std::pair<unsigned, std::string_view> k_names[] = {
      {tag_doctor, "doctor"},
      {tag_health, "health"},
      {tag_liveness, "liveness"},
      {tag_readiness, "readiness"},
      {tag_startup, "startup"},
      {tag_backup_preflight, "backup-preflight"},
  };
  std::vector<std::string_view> names;
  for (const auto& [bit, name] : k_names) {
    if ((tags & bit) != 0) {
      names.push_back(name);
    }
  }
  return names;
}

std::vector<std::string_view> touch_names(unsigned touches)
{
  static constexpr std::pair<unsigned, std::string_view> k_names[] = {
      {touch_files, "files"},
      {touch_loopback, "loopback"},
      {touch_remote, "remote"},
      {touch_processes, "processes"},
  };
  std::vector<std::string_view> names;
  for (const auto& [bit, name] : k_names) {
    if ((touches & bit) != 0) {
      names.push_back(name);
    }
  }
  return names;
}

Finding ok(std::string summary)
{
  Finding finding;
  finding.summary = std::move(summary);
  return finding;
}

Finding skip(std::string summary)
{
  Finding finding;
  finding.status = Status::skip;
  finding.summary = std::move(summary);
  return finding;
}

Finding warn(std::string code, std::string summary, std::string remediation)
{
  Finding finding;
  finding.status = Status::warn;
  finding.code = std::move(code);
  finding.summary = std::move(summary);
  finding.remediation = std::move(remediation);
  return finding;
}

Finding fail(std::string code, std::string summary, std::string remediation)
{
  Finding finding = warn(std::move(code), std::move(summary), std::move(remediation));
  finding.status = Status::fail;
  return finding;
}

Finding unknown(std::string code, std::string summary)
{
  Finding finding;
  finding.status = Status::unknown;
  finding.code = std::move(code);
  finding.summary = std::move(summary);
  return finding;
}

} // namespace cell0ctl
