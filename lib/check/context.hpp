// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "lib/core/environ.hpp"
#include "lib/core/json_file.hpp"
#include "lib/core/locations.hpp"
#include "lib/core/settings.hpp"
#include "lib/sys/deadline.hpp"
#include "lib/sys/http.hpp"
#include "lib/sys/procfs.hpp"

#include <chrono>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl {

struct Check;

// Everything a run of checks starts from, resolved once by the command and read-only after.
struct Inputs
{
  std::filesystem::path root = "/"; // host files live below it: "/" or a scratch folder
  Sourced<std::filesystem::path> home{{}, "default"}; // the Cell 0 home (~/.cell0)
  std::filesystem::path user_home;                   // the operator's $HOME
  unsigned uid = 0;                                   // whose files Cell 0's should be
  std::vector<Endpoint> endpoints;
  Settings settings;
  Environ environ;
  bool show_secrets = false;
  std::chrono::milliseconds connect_timeout{1000};
  std::string ca_file; // --cacert
};

// Observations several checks share, each made at most once per run, on first use, whatever
// thread asks first (so that ten checks of cell0.json read it once, and two checks of cell0d's
// /health send one request).
class Facts
{
public:
  explicit Facts(const Inputs& inputs);

  // `<home>/cell0.json`, parsed.
  const JsonFile& cell0_json();

  // Processes and listening sockets of `<root>/proc`.
  const ProcessTable& processes();

  // The Cell 0 checkout that cell0d runs from (holding cell0/cell0d.py), and where that came
  // from: `cell0_root` of the settings, $CELL0_HOME when it holds one, the working directory
  // or script of a running gateway or cell0d, then ~/cell0. Nothing when none is found.
  const std::optional<Sourced<std::filesystem::path>>& cell0_root();

  // GET `url` once per run; later callers with the same URL share the answer. The request is
  // bounded by `deadline` of the first caller.
  HttpResponse get(const std::string& url, Deadline deadline);

  // Computes `make()` once per run for `key`; later callers share the value.
  template <class T, class F>
  std::shared_ptr<const T> once(const std::string& key, F&& make);

private:
  std::shared_future<std::shared_ptr<const void>> claim(const std::string& key,
                                                        std::promise<std::shared_ptr<const void>>& promise,
                                                        bool& first);

  const Inputs& m_inputs;
  std::once_flag m_cell0_json_once;
  JsonFile m_cell0_json;
  std::once_flag m_processes_once;
  ProcessTable m_processes;
  std::once_flag m_root_once;
  std::optional<Sourced<std::filesystem::path>> m_root;
  std::mutex m_http_mutex;
  std::map<std::string, std::shared_future<HttpResponse>, std::less<>> m_http;
  std::mutex m_memo_mutex;
  std::map<std::string, std::shared_future<std::shared_ptr<const void>>, std::less<>> m_memo;
};

// What one check sees while it runs: the run's inputs and facts, and its own deadline and
// settings (`checks.<id>.<key>` of cell0ctl's configuration).
class Context
{
public:
  Context(const Inputs& inputs, Facts& facts, const Check& check, Deadline deadline);

  const Inputs& inputs() const { return m_inputs; }
  Facts& facts() { return m_facts; }
  Deadline deadline() const { return m_deadline; }
  const Check& check() const { return m_check; }

  // `absolute` as seen on the host: below `root` ("/etc/x" -> "<root>/etc/x").
  std::filesystem::path host_path(const std::filesystem::path& absolute) const;

  // `<home>/relative`.
  std::filesystem::path home(const std::filesystem::path& relative = {}) const;

  const Endpoint& endpoint(std::string_view name) const;

  // GET `path` of endpoint `name` (shared between checks, see Facts::get).
  HttpResponse get(std::string_view name, std::string_view path);

  // Per-check settings with a default; wrong types throw Error(Errc::config).
  double number_setting(std::string_view key, double fallback) const;
  std::uint64_t size_setting(std::string_view key, std::uint64_t fallback) const;
  std::chrono::milliseconds duration_setting(std::string_view key,
                                             std::chrono::milliseconds fallback) const;

  // A secret as it may appear in output (see redact()).
  std::string secret(std::string_view value) const;

private:
  std::string setting_key(std::string_view key) const;

  const Inputs& m_inputs;
  Facts& m_facts;
  const Check& m_check;
  Deadline m_deadline;
};

// --- Inline implementations ---

template <class T, class F>
std::shared_ptr<const T> Facts::once(const std::string& key, F&& make)
{
  std::promise<std::shared_ptr<const void>> promise;
  bool first = false;
  auto answer = claim(key, promise, first);
  if (first) {
    try {
      promise.set_value(std::make_shared<const T>(make()));
    } catch (...) {
      promise.set_exception(std::current_exception());
    }
  }
  return std::static_pointer_cast<const T>(answer.get());
}

} // namespace cell0ctl
