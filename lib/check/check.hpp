// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl {

class Context;

enum class Status { ok, warn, fail, skip, unknown };

// "ok", "warn", ...: the stable names of the JSON output.
std::string_view to_string(Status status);

// Orders statuses from harmless to worst: ok < skip < warn < unknown < fail.
int severity(Status status);

// Where a check runs (DESIGN.md, "The check model"); a check has one or more.
enum Tag : unsigned {
  tag_doctor = 1u << 0,
  tag_health = 1u << 1,
  tag_liveness = 1u << 2,
  tag_readiness = 1u << 3,
  tag_startup = 1u << 4,
  tag_backup_preflight = 1u << 5,
};

// What a check touches outside cell0ctl, for `--list` and for operators deciding what to run.
enum Touch : unsigned {
  touch_files = 1u << 0,
  touch_loopback = 1u << 1,
  touch_remote = 1u << 2,
  touch_processes = 1u << 3,
};

std::vector<std::string_view> tag_names(unsigned tags);
std::vector<std::string_view> touch_names(unsigned touches);

// A typed measurement: `{"free", 12.5e9, "bytes"}`.
struct Measurement
{
  std::string name;
  double value = 0;
  std::string unit;
};

// The answer of one check. An unhealthy installation is a normal Finding, not an Error.
struct Finding
{
  Status status = Status::ok;
  std::string summary;     // one line: "12% of memory available"
  std::string details;     // more lines when they help: a traceback, a list of files
  std::string remediation; // the exact command or edit that fixes a warn/fail
  std::string code;        // stable machine-readable reason: "PORT_HELD_BY_OTHER"
  std::vector<Measurement> measurements;
};

// Convenience constructors for the common shapes of a Finding.
Finding ok(std::string summary);
Finding skip(std::string summary);
Finding warn(std::string code, std::string summary, std::string remediation = {});
Finding fail(std::string code, std::string summary, std::string remediation = {});
Finding unknown(std::string code, std::string summary);

// A check: data plus one function. Adding a check is one file under checks/ and one line in
// checks/registry.cpp.
struct Check
{
  std::string_view id;    // stable dotted id, the group first: "ollama.model-present"
  std::string_view title; // one line for `--list` and the text output
  unsigned tags = tag_doctor;
  std::vector<std::string_view> depends_on; // ids of checks that must not fail first
  std::chrono::milliseconds timeout{2000};  // the check's own deadline, capped by --timeout
  unsigned touches = touch_files;
  Finding (*run)(Context& context) = nullptr;

  // "ollama" for "ollama.model-present".
  std::string_view group() const { return id.substr(0, id.find('.')); }
};

} // namespace cell0ctl
