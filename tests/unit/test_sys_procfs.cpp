// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/sys/procfs.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace cell0ctl;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

constexpr std::string_view k_tcp_header =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout "
    "inode\n";
constexpr std::string_view k_tcp6_header =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

// One process below `proc`, as the kernel shows it.
void write_process(test::Scratch& scratch, int pid, std::string_view cmdline, int ppid, int uid)
{
  const fs::path dir = fs::path("proc") / std::to_string(pid);
  scratch.write(dir / "cmdline", cmdline);
  scratch.write(dir / "status",
                "Name:\tx\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t" + std::to_string(pid)
                    + "\nPPid:\t" + std::to_string(ppid) + "\nTracerPid:\t0\nUid:\t"
                    + std::to_string(uid) + "\t" + std::to_string(uid)
                    + "\t0\t0\nGid:\t0\t0\t0\t0\n");
  scratch.mkdir(dir / "fd");
}

} // namespace

TEST_CASE("parse_proc_net_tcp")
{
  SUBCASE("a real LISTEN line gives address, port and inode")
  {
    const std::string text =
        std::string(k_tcp_header)
        + "   0: 0100007F:4965 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0    "
          "    0 12345 1 0000000000000000 100 0 0 10 0\n";
    const auto listeners = parse_proc_net_tcp(text, false);
    REQUIRE(listeners.size() == 1);
    CHECK(listeners[0].address == "127.0.0.1");
    CHECK(listeners[0].port == 18789);
    CHECK(listeners[0].inode == 12345u);
    CHECK(listeners[0].pid == 0);
  }

  SUBCASE("sockets in other states and short lines are left out")
  {
    const std::string text =
        std::string(k_tcp_header)
        + "   0: 0100007F:4965 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000  1000    "
          "    0 555 1 0000000000000000 20 4 30 10 -1\n"
          "   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0    "
          "    0 777 1 0000000000000000 100 0 0 10 0\n"
          "   2: garbage\n";
    const auto listeners = parse_proc_net_tcp(text, false);
    REQUIRE(listeners.size() == 1);
    CHECK(listeners[0].address == "0.0.0.0");
    CHECK(listeners[0].port == 8080);
    CHECK(listeners[0].inode == 777u);
  }

  SUBCASE("IPv6 addresses are decoded, v4-mapped ones as IPv4")
  {
    const std::string text =
        std::string(k_tcp6_header)
        + "   0: 00000000000000000000000000000000:4970 00000000000000000000000000000000:0000 0A "
          "00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 "
          "0\n"
          "   1: 00000000000000000000000001000000:2CAA 00000000000000000000000000000000:0000 0A "
          "00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 100 0 0 10 "
          "0\n"
          "   2: 0000000000000000FFFF00000100007F:1F90 00000000000000000000000000000000:0000 0A "
          "00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 100 0 0 10 "
          "0\n";
    const auto listeners = parse_proc_net_tcp(text, true);
    REQUIRE(listeners.size() == 3);
    CHECK(listeners[0].address == "::");
    CHECK(listeners[0].port == 18800);
    CHECK(listeners[1].address == "::1");
    CHECK(listeners[1].port == 11434);
    CHECK(listeners[2].address == "127.0.0.1");
    CHECK(listeners[2].inode == 3u);
  }

  SUBCASE("the header alone, or nothing, has no listeners")
  {
    CHECK(parse_proc_net_tcp(std::string(k_tcp_header), false).empty());
    CHECK(parse_proc_net_tcp("", false).empty());
  }
}

// ("fe80:0:0:0:0:0:0:1"), not in the canonical form inet_ntop() and `ss` print.
TEST_CASE("parse_proc_net_tcp of a link-local IPv6 address")
{
  const std::string text =
      std::string(k_tcp6_header)
      + "   0: 000080FE000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000     0        0 9 1 0000000000000000 100 0 0 10 0\n";
  const auto listeners = parse_proc_net_tcp(text, true);
  REQUIRE(listeners.size() == 1);
  CHECK(listeners[0].address == "fe80::1");
}

TEST_CASE("read_process_table")
{
  test::Scratch scratch;
  const fs::path proc = scratch.path() / "proc";
  write_process(scratch, 100, "python3\0-m\0cell0d\0--port\0"s + "18800\0"s, 1, 1000);
  scratch.write("proc/100/comm", "python3\n");
  fs::create_directory_symlink("/home/op/cell0", proc / "100/cwd");
  fs::create_symlink("socket:[12345]", proc / "100/fd/3");
  fs::create_symlink("/dev/null", proc / "100/fd/0");
  fs::create_symlink("pipe:[999]", proc / "100/fd/1");
  fs::create_symlink("socket:[23456]", proc / "100/fd/7");
  write_process(scratch, 2, "", 0, 0);
  scratch.write("proc/2/comm", "kthreadd\n");
  scratch.mkdir("proc/300"); // vanished: no status
  scratch.mkdir("proc/sys");
  scratch.write("proc/net/tcp",
                std::string(k_tcp_header)
                    + "   0: 0100007F:4965 00000000:0000 0A 00000000:00000000 00:00000000 "
                      "00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n"
                      "   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 "
                      "00000000     0        0 777 1 0000000000000000 100 0 0 10 0\n");
  scratch.write("proc/net/tcp6",
                std::string(k_tcp6_header)
                    + "   0: 00000000000000000000000000000000:4970 "
                      "00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 "
                      "00000000     0        0 23456 1 0000000000000000 100 0 0 10 0\n");
  const ProcessTable table = read_process_table(proc);

  SUBCASE("numbered folders with a status are processes; others are left out")
  {
    CHECK(table.processes.size() == 2);
    CHECK(table.find(300) == nullptr);
  }

  SUBCASE("a process has its argv, comm, parent, uid, cwd and socket inodes")
  {
    const ProcessInfo* p = table.find(100);
    REQUIRE(p != nullptr);
    CHECK(p->argv == std::vector<std::string>{"python3", "-m", "cell0d", "--port", "18800"});
    CHECK(p->command_line() == "python3 -m cell0d --port 18800");
    CHECK(p->comm == "python3");
    CHECK(p->ppid == 1);
    CHECK(p->uid == 1000u);
    CHECK(p->cwd == "/home/op/cell0");
    std::vector<unsigned long> inodes = p->socket_inodes;
    std::sort(inodes.begin(), inodes.end());
    CHECK(inodes == std::vector<unsigned long>{12345, 23456});
  }

  SUBCASE("a kernel thread has no argv and no cwd")
  {
    const ProcessInfo* p = table.find(2);
    REQUIRE(p != nullptr);
    CHECK(p->argv.empty());
    CHECK(p->comm == "kthreadd");
    CHECK(p->cwd.empty());
    CHECK(p->uid == 0u);
  }

  SUBCASE("listeners of tcp and tcp6 get the pid that holds their inode, or 0")
  {
    REQUIRE(table.listeners.size() == 3);
    const auto gateway = table.listening_on(18789);
    REQUIRE(gateway.size() == 1);
    CHECK(gateway[0]->pid == 100);
    CHECK(gateway[0]->address == "127.0.0.1");
    const auto cell0d = table.listening_on(18800);
    REQUIRE(cell0d.size() == 1);
    CHECK(cell0d[0]->pid == 100);
    CHECK(cell0d[0]->address == "::");
    REQUIRE(table.listening_on(8080).size() == 1);
    CHECK(table.listening_on(8080)[0]->pid == 0);
    CHECK(table.listening_on(1).empty());
  }

  SUBCASE("a missing proc folder is an empty table")
  {
    const ProcessTable none = read_process_table(scratch.path() / "absent");
    CHECK(none.processes.empty());
    CHECK(none.listeners.empty());
  }
}

TEST_CASE("read_process_table of the real /proc")
{
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  REQUIRE(::listen(fd, 1) == 0);
  socklen_t length = sizeof(address);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const int port = ntohs(address.sin_port);

  const ProcessTable table = read_process_table("/proc");
  ::close(fd);

  const auto found = table.listening_on(port);
  REQUIRE(found.size() == 1);
  CHECK(found[0]->address == "127.0.0.1");
  CHECK(found[0]->pid == ::getpid());
  const ProcessInfo* self = table.find(::getpid());
  REQUIRE(self != nullptr);
  CHECK(self->comm == "unit-tests");
  CHECK(self->ppid == ::getppid());
}
