// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/check/context.hpp"

#include "lib/check/check.hpp"
#include "lib/core/secrets.hpp"

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace cell0ctl {

namespace {

bool is_checkout(const fs::path& dir)
{
  std::error_code ec;
  return !dir.empty() && fs::is_regular_file(dir / "cell0/cell0d.py", ec);
}

// The checkout a running process reveals: its working directory, or the directory of a
// script on its command line that sits inside a checkout.
std::optional<fs::path> checkout_of(const ProcessInfo& process, const fs::path& root)
{
  if (!process.cwd.empty() && is_checkout(root / process.cwd.relative_path())) {
    return process.cwd;
  }
  for (const std::string& arg : process.argv) {
    fs::path dir = fs::path(arg).parent_path();
    for (int up = 0; up < 4 && !dir.empty() && dir.has_relative_path(); ++up) {
      if (is_checkout(root / dir.relative_path())) {
        return dir;
      }
      dir = dir.parent_path();
    }
  }
  return std::nullopt;
}

} // namespace

Facts::Facts(const Inputs& inputs) : m_inputs(inputs)
{
}

const JsonFile& Facts::cell0_json()
{
  std::call_once(m_cell0_json_once,
                 [this] {
                   m_cell0_json = read_json_file(m_inputs.root / m_inputs.home.value.relative_path()
                                                 / "cell0.json");
                 });
  return m_cell0_json;
}

const ProcessTable& Facts::processes()
{
  std::call_once(m_processes_once,
                 [this] { m_processes = read_process_table(m_inputs.root / "proc"); });
  return m_processes;
}

const std::optional<Sourced<fs::path>>& Facts::cell0_root()
{
  std::call_once(m_root_once, [this] {
    const fs::path& root = m_inputs.root;
    const auto inside = [&](const fs::path& dir) { return root / dir.relative_path(); };
    if (auto value = m_inputs.settings.string("cell0_root")) {
      m_root = Sourced<fs::path>{*value, m_inputs.settings.where("cell0_root")};
      return;
    }
    if (auto value = m_inputs.environ.non_empty("CELL0_HOME"); value && is_checkout(inside(*value))) {
      m_root = Sourced<fs::path>{*value, "$CELL0_HOME"};
      return;
    }
    for (const ProcessInfo& process : processes().processes) {
      const std::string line = process.command_line();
      const bool cell0 = line.find("cell0d") != std::string::npos
                         || line.find("dist/gateway/index.js") != std::string::npos;
      if (!cell0) {
        continue;
      }
      if (auto dir = checkout_of(process, root)) {
        m_root = Sourced<fs::path>{*dir, fmt::format("running process {}", process.pid)};
        return;
      }
    }
    if (!m_inputs.user_home.empty() && is_checkout(inside(m_inputs.user_home / "cell0"))) {
      m_root = Sourced<fs::path>{m_inputs.user_home / "cell0", "$HOME/cell0"};
    }
  });
  return m_root;
}

HttpResponse Facts::get(const std::string& url, Deadline deadline)
{
  std::shared_future<HttpResponse> answer;
  std::promise<HttpResponse> promise;
  bool first = false;
  {
    std::lock_guard lock(m_http_mutex);
    auto it = m_http.find(url);
    if (it == m_http.end()) {
      answer = promise.get_future().share();
      m_http.emplace(url, answer);
      first = true;
    } else {
      answer = it->second;
    }
  }
  if (first) {
    HttpRequest request;
    request.url = url;
    request.deadline = deadline;
    request.connect_timeout = m_inputs.connect_timeout;
    request.ca_file = m_inputs.ca_file;
    request.headers.emplace_back("Accept: application/json, text/plain;q=0.9, */*;q=0.1");
    promise.set_value(http_request(request));
  }
  if (answer.wait_until(deadline.at) != std::future_status::ready) {
    HttpResponse late;
    late.error = HttpError::timeout;
    late.error_text = "no answer before the deadline";
    return late;
  }
  return answer.get();
}

std::shared_future<std::shared_ptr<const void>> Facts::claim(
    const std::string& key, std::promise<std::shared_ptr<const void>>& promise, bool& first)
{
  std::lock_guard lock(m_memo_mutex);
  auto it = m_memo.find(key);
  if (it != m_memo.end()) {
    return it->second;
  }
  first = true;
  auto answer = promise.get_future().share();
  m_memo.emplace(key, answer);
  return answer;
}

Context::Context(const Inputs& inputs, Facts& facts, const Check& check, Deadline deadline)
    : m_inputs(inputs), m_facts(facts), m_check(check), m_deadline(deadline)
{
}

fs::path Context::host_path(const fs::path& absolute) const
{
  return m_inputs.root / absolute.relative_path();
}

fs::path Context::home(const fs::path& relative) const
{
  return relative.empty() ? m_inputs.home.value : m_inputs.home.value / relative;
}

const Endpoint& Context::endpoint(std::string_view name) const
{
  return find_endpoint(m_inputs.endpoints, name);
}

HttpResponse Context::get(std::string_view name, std::string_view path)
{
  // The request ends a little before the check does, so that the check, not the runner,
  // reports the timeout, with the URL and the fix.
  const auto margin = std::min(std::chrono::milliseconds(100), m_deadline.remaining() / 10);
  return m_facts.get(endpoint(name).url + std::string(path), Deadline{m_deadline.at - margin});
}

std::string Context::setting_key(std::string_view key) const
{
  return fmt::format("checks.{}.{}", m_check.id, key);
}

double Context::number_setting(std::string_view key, double fallback) const
{
  return m_inputs.settings.number(setting_key(key)).value_or(fallback);
}

std::uint64_t Context::size_setting(std::string_view key, std::uint64_t fallback) const
{
  return m_inputs.settings.size(setting_key(key)).value_or(fallback);
}

std::chrono::milliseconds Context::duration_setting(std::string_view key,
                                                    std::chrono::milliseconds fallback) const
{
  return m_inputs.settings.duration(setting_key(key)).value_or(fallback);
}

std::string Context::secret(std::string_view value) const
{
  return redact(value, m_inputs.show_secrets);
}

} // namespace cell0ctl
