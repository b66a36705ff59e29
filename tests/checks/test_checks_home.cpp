// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/host.hpp"

#include <doctest/doctest.h>

using namespace cell0ctl;
namespace fs = std::filesystem;

TEST_CASE("home.exists")
{
  test::Host host;

  SUBCASE("a missing home is a failure naming where it was looked for")
  {
    fs::remove_all(host.on_disk("/home/op/.cell0"));
    const Finding finding = host.run("home.exists");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "HOME_MISSING");
    CHECK(finding.summary == "no Cell 0 home at /home/op/.cell0 (from test)");
    CHECK(finding.remediation.find("cell0 onboard") != std::string::npos);
    CHECK(finding.remediation.find("--cell0-home DIR") != std::string::npos);
  }

  SUBCASE("a file in its place is a failure with the command that moves it away")
  {
    fs::remove_all(host.on_disk("/home/op/.cell0"));
    host.write("/home/op/.cell0", "not a folder\n");
    const Finding finding = host.run("home.exists");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "HOME_NOT_DIRECTORY");
    CHECK(finding.summary == "/home/op/.cell0 (from test) is not a directory");
    CHECK(finding.remediation == "move it away: mv /home/op/.cell0 /home/op/.cell0.old");
  }

  SUBCASE("an existing home is fine and says where it came from")
  {
    const Finding finding = host.run("home.exists");
    CHECK(finding.status == Status::ok);
    CHECK(finding.code.empty());
    CHECK(finding.summary == "Cell 0 home at /home/op/.cell0 (from test)");
  }
}

TEST_CASE("install.stack")
{
  test::Host host;

  SUBCASE("cell0.json means the Node gateway")
  {
    host.write_home("cell0.json", "{}");
    const Finding finding = host.run("install.stack");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "Node gateway (cell0.json); checkout not found");
    CHECK(finding.details.find("`cell0_root`") != std::string::npos);
  }

  SUBCASE("config.json means the Python stack")
  {
    host.write_home("config.json", "{}");
    const Finding finding = host.run("install.stack");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "Python cell0ctl (config.json); checkout not found");
  }

  SUBCASE("a checkout named by the cell0_root setting is found with its YAML configs")
  {
    host.write("/opt/cell0-os/cell0/cell0d.py", "# cell0d\n");
    host.write("/opt/cell0-os/cell0/config/default.yaml", "environment: development\n");
    host.settings("cell0_root: /opt/cell0-os\n");
    const Finding finding = host.run("install.stack");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary
          == "YAML configs (cell0/config); checkout /opt/cell0-os (from test.yaml:1:13)");
    CHECK(finding.details.empty());
  }

  SUBCASE("both stacks and a checkout are all listed")
  {
    host.write_home("cell0.json", "{}");
    host.write_home("config.json", "{}");
    host.write("/opt/cell0-os/cell0/cell0d.py", "# cell0d\n");
    host.write("/opt/cell0-os/cell0/config/default.yaml", "environment: development\n");
    host.settings("cell0_root: /opt/cell0-os\n");
    CHECK(host.run("install.stack").summary
          == "Node gateway (cell0.json), Python cell0ctl (config.json), YAML configs "
             "(cell0/config); checkout /opt/cell0-os (from test.yaml:1:13)");
  }

  SUBCASE("nothing at all is a warning to configure Cell 0")
  {
    const Finding finding = host.run("install.stack");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "NO_CONFIGURATION");
    CHECK(finding.summary == "no Cell 0 configuration in /home/op/.cell0; checkout not found");
    CHECK(finding.remediation.find("cell0 onboard") != std::string::npos);
  }
}
