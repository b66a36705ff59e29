// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace cell0ctl {

// One process as /proc shows it.
struct ProcessInfo
{
  int pid = 0;
  int ppid = 0;
  unsigned uid = 0;
  std::string comm;              // the kernel's short name
  std::vector<std::string> argv; // from cmdline; empty for kernel threads
  std::filesystem::path cwd;     // empty when not readable
  std::vector<unsigned long> socket_inodes;

  // argv joined with spaces.
  std::string command_line() const;
};

// A listening TCP socket from /proc/net/tcp{,6}.
struct Listener
{
  std::string address; // "127.0.0.1", "0.0.0.0", "::"
  int port = 0;
  unsigned long inode = 0;
  int pid = 0; // 0 when the owner is not visible (another user's process, another netns)
};

struct ProcessTable
{
  std::vector<ProcessInfo> processes;
  std::vector<Listener> listeners;

  const ProcessInfo* find(int pid) const;

  // Listening sockets on `port`, any address.
  std::vector<const Listener*> listening_on(int port) const;
};

// Reads every process and listening socket below `proc` ("/proc", or a scratch copy in
// tests). Processes that vanish while being read are left out; never throws.
ProcessTable read_process_table(const std::filesystem::path& proc);

// Parses the lines of /proc/net/tcp or tcp6 and returns the sockets in state LISTEN.
std::vector<Listener> parse_proc_net_tcp(const std::string& text, bool ipv6);

} // namespace cell0ctl
