// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/host.hpp"

#include "checks/registry.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <stdexcept>

#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl::test {

Host::Host() : m_inputs(std::make_shared<Inputs>())
{
  m_inputs->root = m_scratch.path();
  m_inputs->home = {"/home/op/.cell0", "test"};
  m_inputs->user_home = "/home/op";
  m_inputs->uid = ::getuid();
  m_inputs->environ = Environ::from_process();
  m_inputs->environ.set("HOME", "/home/op");
  for (const char* name : {"CELL0_PORT", "CELL0_WS_PORT", "CELL0_METRICS_PORT",
                           "CELL0_GATEWAY_PORT", "OLLAMA_HOST", "CELL0_STATE_DIR", "CELL0_HOME"}) {
    m_inputs->environ.set(name, "");
  }
  m_scratch.mkdir("home/op/.cell0");
  m_scratch.mkdir("proc");
  m_inputs->endpoints = resolve_endpoints({}, m_inputs->settings, m_inputs->environ, nullptr);
}

fs::path Host::write_home(const fs::path& relative, std::string_view content, fs::perms mode)
{
  return m_scratch.write(fs::path("home/op/.cell0") / relative, content, mode);
}

fs::path Host::mkdir_home(const fs::path& relative, fs::perms mode)
{
  return m_scratch.mkdir(fs::path("home/op/.cell0") / relative, mode);
}

fs::path Host::write(const fs::path& absolute, std::string_view content, fs::perms mode)
{
  return m_scratch.write(absolute.relative_path(), content, mode);
}

fs::path Host::on_disk(const fs::path& absolute) const
{
  return m_scratch.path() / absolute.relative_path();
}

void Host::endpoint(const std::string& name, const std::string& url)
{
  m_overrides.push_back(name + "=" + url);
  m_inputs->endpoints =
      resolve_endpoints(m_overrides, m_inputs->settings, m_inputs->environ, nullptr);
}

void Host::settings(const std::string& yaml)
{
  m_inputs->settings = Settings::parse(yaml, "test.yaml");
  m_inputs->endpoints =
      resolve_endpoints(m_overrides, m_inputs->settings, m_inputs->environ, nullptr);
}

void Host::process(int pid, int ppid, const std::vector<std::string>& argv)
{
  const fs::path dir = fs::path("proc") / std::to_string(pid);
  std::string cmdline;
  for (const std::string& arg : argv) {
    cmdline += arg + '\0';
  }
  m_scratch.write(dir / "cmdline", cmdline, fs::perms(0444));
  m_scratch.write(dir / "comm", fs::path(argv.front()).filename().string() + "\n", fs::perms(0444));
  m_scratch.write(dir / "status",
                  "Name:\tx\nPPid:\t" + std::to_string(ppid) + "\nUid:\t" + std::to_string(::getuid())
                      + "\t0\t0\t0\n",
                  fs::perms(0444));
  m_scratch.write(dir / "limits", "Max open files            1024                 4096                 files\n",
                  fs::perms(0444));
  fs::create_directories(m_scratch.path() / dir / "fd");
}

void Host::listen(int port, int pid)
{
  const unsigned long inode = m_next_inode++;
  if (m_tcp.empty()) {
    m_tcp = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
            "timeout inode\n";
  }
  char line[256];
  std::snprintf(line, sizeof(line),
                "   0: 0100007F:%04X 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0"
                "        0 %lu 1 0000000000000000 100 0 0 10 0\n",
                static_cast<unsigned>(port), inode);
  m_tcp += line;
  m_scratch.write("proc/net/tcp", m_tcp, fs::perms(0444));
  if (pid != 0) {
    const fs::path fd_dir = m_scratch.path() / "proc" / std::to_string(pid) / "fd";
    fs::create_directories(fd_dir);
    fs::create_symlink("socket:[" + std::to_string(inode) + "]", fd_dir / std::to_string(inode));
  }
}

Finding Host::run(std::string_view id)
{
  const Check* check = checks::find_check(id);
  if (check == nullptr) {
    throw std::runtime_error("no check " + std::string(id));
  }
  const Report report = run_checks({check}, m_inputs, RunOptions{});
  const Finding finding = report.results.front().finding;
  if (finding.status == Status::unknown) {
    const std::string note = std::string(id) + ": unknown: " + finding.summary;
    MESSAGE(note);
  }
  return finding;
}

} // namespace cell0ctl::test
