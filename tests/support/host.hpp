// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A Cell 0 host for check tests: real files below a scratch root (the operator's home is
// /home/op, the Cell 0 home /home/op/.cell0), real endpoints, one check run at a time.

#include "lib/check/context.hpp"
#include "lib/check/runner.hpp"
#include "tests/support/scratch.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::test {

class Host
{
public:
  Host();

  const std::filesystem::path& root() const { return m_scratch.path(); }
  Inputs& inputs() { return *m_inputs; }

  // Writes `relative` below the Cell 0 home; returns the path on disk.
  std::filesystem::path write_home(const std::filesystem::path& relative,
                                   std::string_view content,
                                   std::filesystem::perms mode = std::filesystem::perms(0600));
  std::filesystem::path mkdir_home(const std::filesystem::path& relative,
                                   std::filesystem::perms mode = std::filesystem::perms(0700));
  // Writes `absolute` as seen by the checks (below the scratch root).
  std::filesystem::path write(const std::filesystem::path& absolute,
                              std::string_view content,
                              std::filesystem::perms mode = std::filesystem::perms(0644));
  std::filesystem::path on_disk(const std::filesystem::path& absolute) const;

  // Points endpoint `name` at `url`, as --endpoint would.
  void endpoint(const std::string& name, const std::string& url);

  // cell0ctl settings from YAML text.
  void settings(const std::string& yaml);

  // A process in the fake /proc below the root: cmdline, comm, status (ppid, uid), cwd.
  void process(int pid, int ppid, const std::vector<std::string>& argv);
  // A listening TCP socket on 127.0.0.1:`port` owned by `pid` (0: owner not visible).
  void listen(int port, int pid);

  // Runs the check `id` alone (its dependencies are not run) and returns its finding.
  Finding run(std::string_view id);

private:
  Scratch m_scratch;
  std::shared_ptr<Inputs> m_inputs;
  std::vector<std::string> m_overrides;
  std::string m_tcp;
  unsigned long m_next_inode = 40000;
};

} // namespace cell0ctl::test
