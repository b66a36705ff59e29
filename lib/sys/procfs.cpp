// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/sys/procfs.hpp"

#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <map>
#include <sstream>

#include <arpa/inet.h>

namespace fs = std::filesystem;

namespace cell0ctl {

namespace {

std::string read_small_file(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

unsigned long hex_number(std::string_view text)
{
  unsigned long value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value, 16);
  return value;
}

// /proc/net/tcp writes addresses as the hex of the in-memory bytes, word by word.
std::string decode_address(std::string_view hex, bool ipv6)
{
  std::array<unsigned char, 16> bytes{};
  const std::size_t count = ipv6 ? 16 : 4;
  if (hex.size() != count * 2) {
    return std::string(hex);
  }
  for (std::size_t word = 0; word < count / 4; ++word) {
    const unsigned long value = hex_number(hex.substr(word * 8, 8));
    for (std::size_t i = 0; i < 4; ++i) {
      bytes[word * 4 + i] = static_cast<unsigned char>((value >> (8 * i)) & 0xffu);
    }
  }
  if (!ipv6) {
    return fmt::format("{}.{}.{}.{}", bytes[0], bytes[1], bytes[2], bytes[3]);
  }
  const bool mapped_v4 = std::all_of(bytes.begin(), bytes.begin() + 10, [](auto b) { return b == 0; })
                         && bytes[10] == 0xff && bytes[11] == 0xff;
  if (mapped_v4) {
    return fmt::format("{}.{}.{}.{}", bytes[12], bytes[13], bytes[14], bytes[15]);
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (::inet_ntop(AF_INET6, bytes.data(), text.data(), text.size()) == nullptr) {
    return std::string(hex);
  }
  return text.data();
}

void read_process(const fs::path& dir, int pid, ProcessTable& table)
{
  ProcessInfo info;
  info.pid = pid;
  std::string cmdline = read_small_file(dir / "cmdline");
  for (const std::string_view arg : util::split(cmdline, '\0')) {
    if (!arg.empty()) {
      info.argv.emplace_back(arg);
    }
  }
  info.comm = std::string(util::trim(read_small_file(dir / "comm")));
  const std::string status = read_small_file(dir / "status");
  if (status.empty()) {
    return; // gone
  }
  std::istringstream lines(status);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("PPid:", 0) == 0) {
      info.ppid = std::atoi(line.c_str() + 5);
    } else if (line.rfind("Uid:", 0) == 0) {
      info.uid = static_cast<unsigned>(std::strtoul(line.c_str() + 4, nullptr, 10));
    }
  }
  std::error_code ec;
  info.cwd = fs::read_symlink(dir / "cwd", ec);
  for (fs::directory_iterator it(dir / "fd", ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code link_ec;
    const std::string target = fs::read_symlink(it->path(), link_ec).string();
    if (!link_ec && target.rfind("socket:[", 0) == 0) {
      info.socket_inodes.push_back(std::strtoul(target.c_str() + 8, nullptr, 10));
    }
  }
  table.processes.push_back(std::move(info));
}

} // namespace

std::string ProcessInfo::command_line() const
{
  return util::join(argv, " ");
}

const ProcessInfo* ProcessTable::find(int pid) const
{
  for (const ProcessInfo& info : processes) {
    if (info.pid == pid) {
      return &info;
    }
  }
  return nullptr;
}

std::vector<const Listener*> ProcessTable::listening_on(int port) const
{
  std::vector<const Listener*> found;
  for (const Listener& listener : listeners) {
    if (listener.port == port) {
      found.push_back(&listener);
    }
  }
  return found;
}

std::vector<Listener> parse_proc_net_tcp(const std::string& text, bool ipv6)
{
  std::vector<Listener> listeners;
  std::istringstream lines(text);
  std::string line;
  std::getline(lines, line); // header
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
    if (!(fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid
          >> timeout >> inode)) {
      continue;
    }
    if (state != "0A") { // TCP_LISTEN
      continue;
    }
    const std::size_t colon = local.find(':');
    if (colon == std::string::npos) {
      continue;
    }
    Listener listener;
    listener.address = decode_address(std::string_view(local).substr(0, colon), ipv6);
    listener.port = static_cast<int>(hex_number(std::string_view(local).substr(colon + 1)));
    listener.inode = std::strtoul(inode.c_str(), nullptr, 10);
    listeners.push_back(std::move(listener));
  }
  return listeners;
}

ProcessTable read_process_table(const fs::path& proc)
{
  ProcessTable table;
  std::error_code ec;
  for (fs::directory_iterator it(proc, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    unsigned long long pid = 0;
    if (util::parse_uint(name, pid)) {
      read_process(it->path(), static_cast<int>(pid), table);
    }
  }
  for (const auto& [file, ipv6] : {std::pair{"net/tcp", false}, std::pair{"net/tcp6", true}}) {
    for (Listener& listener : parse_proc_net_tcp(read_small_file(proc / file), ipv6)) {
      table.listeners.push_back(std::move(listener));
    }
  }
  std::map<unsigned long, int> owner;
  for (const ProcessInfo& info : table.processes) {
    for (const unsigned long inode : info.socket_inodes) {
      owner.emplace(inode, info.pid);
    }
  }
  for (Listener& listener : table.listeners) {
    if (const auto it = owner.find(listener.inode); it != owner.end()) {
      listener.pid = it->second;
    }
  }
  return table;
}

} // namespace cell0ctl
