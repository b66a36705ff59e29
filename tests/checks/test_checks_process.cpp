// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/host.hpp"

#include <doctest/doctest.h>

using namespace cell0ctl;

namespace {

const std::vector<std::string> k_gateway = {"node", "/opt/cell0-os/dist/gateway/index.js"};
const std::vector<std::string> k_cell0d = {"/opt/cell0-os/.venv/bin/python3", "/opt/cell0-os/cell0/cell0d.py"};

void endpoints(test::Host& host)
{
  host.endpoint("gateway", "http://127.0.0.1:18789");
  host.endpoint("cell0d", "http://127.0.0.1:18800");
  host.endpoint("metrics", "http://127.0.0.1:18802");
}

} // namespace

TEST_CASE("process.cell0d")
{
  test::Host host;
  endpoints(host);

  SUBCASE("the gateway's own cell0d serving its port is fine")
  {
    host.process(100, 1, k_gateway);
    host.process(101, 100, k_cell0d);
    host.listen(18800, 101);
    host.listen(18802, 101);
    const Finding finding = host.run("process.cell0d");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "cell0d pid 101 serves :18800 (child of gateway pid 100)");
  }

  SUBCASE("no cell0d and nothing on its port is a failure")
  {
    const Finding finding = host.run("process.cell0d");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "CELL0D_NOT_RUNNING");
  }

  SUBCASE("the last traceback of its log says why it died")
  {
    host.write_home("logs/cell0d.log",
                    "2026-11-25 08:13:55 | INFO | cell0.daemon | starting\n"
                    "Traceback (most recent call last):\n"
                    "  File \"cell0/engine/security/auth.py\", line 312, in <module>\n"
                    "    _auth_manager: Optional[AuthenticationManager] = None\n"
                    "NameError: name 'AuthenticationManager' is not defined\n"
                    "2026-11-25 08:14:00 | INFO | cell0.daemon | exit\n");
    const Finding finding = host.run("process.cell0d");
    CHECK(finding.summary.find("its last crash: NameError: name 'AuthenticationManager' is not defined")
          != std::string::npos);
    CHECK(finding.details.find("auth.py\", line 312") != std::string::npos);
    CHECK(finding.remediation.find("install.cell0d-imports") != std::string::npos);
  }

  SUBCASE("a port served from another PID namespace is not a missing daemon")
  {
    host.listen(18800, 0);
    CHECK(host.run("process.cell0d").status == Status::ok);
  }

  SUBCASE("two daemons are a failure naming the one to stop")
  {
    host.process(101, 1, k_cell0d);
    host.process(102, 1, {"python3", "-m", "cell0.cell0d"});
    host.listen(18800, 101);
    const Finding finding = host.run("process.cell0d");
    CHECK(finding.code == "CELL0D_DUPLICATE");
    CHECK(finding.remediation == "stop the ones not serving: kill 102");
  }

  SUBCASE("a daemon that kept only its metrics port ignored SIGTERM")
  {
    host.process(101, 1, k_cell0d);
    host.listen(18802, 101);
    const Finding finding = host.run("process.cell0d");
    CHECK(finding.code == "CELL0D_HUNG_AFTER_SIGTERM");
    CHECK(finding.remediation.find("kill -9 101") == 0);
  }

  SUBCASE("a daemon beside the gateway, not its child, is a warning")
  {
    host.process(100, 1, k_gateway);
    host.process(101, 1, k_cell0d);
    host.listen(18800, 101);
    const Finding finding = host.run("process.cell0d");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "CELL0D_NOT_GATEWAY_CHILD");
  }

  SUBCASE("an unrecognised program on cell0d's port is left to ports.cell0d, not blocking")
  {
    host.process(300, 1, {"/usr/bin/python3", "-m", "http.server", "18800"});
    host.listen(18800, 300);
    const Finding finding = host.run("process.cell0d");
    CHECK(finding.status == Status::skip);
    CHECK(finding.summary
          == "no cell0d process recognised; :18800 is served by pid 300 (/usr/bin/python3 -m "
             "http.server 18800) (see ports.cell0d)");
  }

  SUBCASE("an editor with cell0d.py open is not a daemon")
  {
    host.process(200, 1, {"vim", "/opt/cell0-os/cell0/cell0d.py"});
    CHECK(host.run("process.cell0d").code == "CELL0D_NOT_RUNNING");
  }

  SUBCASE("a remote cell0d is not looked for here")
  {
    host.endpoint("cell0d", "http://cell0.example:18800");
    CHECK(host.run("process.cell0d").status == Status::skip);
  }
}

TEST_CASE("process.gateway")
{
  test::Host host;
  endpoints(host);

  SUBCASE("not running while configured is a failure")
  {
    host.write_home("cell0.json", "{}");
    CHECK(host.run("process.gateway").code == "GATEWAY_NOT_RUNNING");
  }

  SUBCASE("neither configured nor running is a skip")
  {
    CHECK(host.run("process.gateway").status == Status::skip);
  }

  SUBCASE("a gateway that shifted to the next port is a warning")
  {
    host.process(100, 1, {"node", "/usr/lib/node_modules/cell0/bin/cell0", "gateway"});
    host.listen(18790, 100);
    const Finding finding = host.run("process.gateway");
    CHECK(finding.code == "GATEWAY_PORT_SHIFTED");
    CHECK(finding.summary.find("listens on :18790 instead of :18789") != std::string::npos);
  }

  SUBCASE("a gateway waiting for cell0d does not listen yet")
  {
    host.process(100, 1, k_gateway);
    CHECK(host.run("process.gateway").code == "GATEWAY_NOT_LISTENING");
  }
}

TEST_CASE("process.pidfile")
{
  test::Host host;

  SUBCASE("a pid that is not running is stale")
  {
    host.write_home("cell0d.pid", "4242\n");
    const Finding finding = host.run("process.pidfile");
    CHECK(finding.code == "PIDFILE_STALE");
    CHECK(finding.remediation == "rm /home/op/.cell0/cell0d.pid");
  }

  SUBCASE("a pid reused by another program is flagged")
  {
    host.process(4242, 1, {"/usr/sbin/sshd"});
    host.write_home("cell0d.pid", "4242\n");
    CHECK(host.run("process.pidfile").code == "PIDFILE_REUSED");
  }

  SUBCASE("the running cell0d is fine")
  {
    host.process(4242, 1, k_cell0d);
    host.write_home("cell0d.pid", "4242\n");
    CHECK(host.run("process.pidfile").status == Status::ok);
  }

  SUBCASE("garbage is not a pid")
  {
    host.write_home("cell0d.pid", "cell0d\n");
    CHECK(host.run("process.pidfile").code == "PIDFILE_INVALID");
  }
}

TEST_CASE("ports")
{
  test::Host host;
  endpoints(host);

  SUBCASE("a free port is fine")
  {
    CHECK(host.run("ports.gateway").summary == ":18789 is free");
  }

  SUBCASE("another program on a Cell 0 port is named with its pid and command line")
  {
    host.process(300, 1, {"/usr/bin/python3", "-m", "http.server", "18789"});
    host.listen(18789, 300);
    const Finding finding = host.run("ports.gateway");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "PORT_HELD_BY_OTHER");
    CHECK(finding.summary == ":18789 (gateway's port) is held by pid 300 (/usr/bin/python3 -m http.server 18789)");
    CHECK(finding.remediation.find("kill 300") != std::string::npos);
    CHECK(finding.remediation.find("gateway.port") != std::string::npos);
  }

  SUBCASE("cell0d's metrics port held by cell0d is fine")
  {
    host.process(101, 1, k_cell0d);
    host.listen(18802, 101);
    CHECK(host.run("ports.metrics").status == Status::ok);
  }

  SUBCASE("the legacy WebSocket port is normally free")
  {
    host.endpoint("websocket", "http://127.0.0.1:18801");
    CHECK(host.run("ports.websocket").summary.find("never starts; normal") != std::string::npos);
  }

  SUBCASE("signal's port is not judged when Signal is off")
  {
    host.process(300, 1, {"/usr/bin/cadvisor"});
    host.listen(8080, 300);
    CHECK(host.run("ports.signal").status == Status::skip);
    host.write_home("cell0.json", R"({"channels": {"signal": {"enabled": true}}})");
    CHECK(host.run("ports.signal").code == "PORT_HELD_BY_OTHER");
  }
}
