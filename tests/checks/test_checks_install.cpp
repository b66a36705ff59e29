// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/host.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

using namespace cell0ctl;
namespace fs = std::filesystem;

namespace {

const std::string k_pip_install = "/bin/pip install 'fastapi>=0.104' 'uvicorn>=0.24'";

void put(const fs::path& file, std::string_view content, fs::perms mode = fs::perms(0644))
{
  fs::create_directories(file.parent_path());
  {
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  fs::permissions(file, mode);
}

// A real venv at `absolute` (below the host's root), made by the real python3 without pip;
// returns its site-packages on disk.
fs::path make_venv(test::Host& host, const fs::path& absolute)
{
  const fs::path dir = host.on_disk(absolute);
  const std::string command =
      "python3 -m venv --without-pip '" + dir.string() + "' >/dev/null 2>&1";
  REQUIRE(std::system(command.c_str()) == 0);
  for (const fs::directory_entry& entry : fs::directory_iterator(dir / "lib")) {
    if (entry.path().filename().string().rfind("python", 0) == 0) {
      return entry.path() / "site-packages";
    }
  }
  FAIL("no site-packages in " << dir);
  return {};
}

// A stand-in package `name` with `__version__` in `site`.
void add_package(const fs::path& site, const std::string& name, const std::string& version)
{
  put(site / name / "__init__.py", "__version__ = \"" + version + "\"\n");
}

// The checkout /opt/cell0-os, named by the cell0_root setting.
void checkout(test::Host& host)
{
  host.write("/opt/cell0-os/cell0/cell0d.py", "import cell0.engine.security.auth\n");
  host.settings("cell0_root: /opt/cell0-os\n");
}

bool starts_with(const std::string& text, const std::string& prefix)
{
  return text.rfind(prefix, 0) == 0;
}

bool ends_with(const std::string& text, const std::string& suffix)
{
  return text.size() >= suffix.size()
         && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// The shape of cell0/engine/security/auth.py: a module variable annotated with a class that is
// defined further down (line 312 and 667 in the real file; lines 9 and 19 here).
const std::string k_auth_py = R"(# cell0/engine/security/auth.py, a stand-in
"""Authentication and authorization for Cell 0."""
import logging
from typing import Optional

logger = logging.getLogger(__name__)

# The process-wide manager, created on first use.
_auth_manager: Optional[AuthenticationManager] = None


def get_auth_manager() -> "AuthenticationManager":
    global _auth_manager
    if _auth_manager is None:
        _auth_manager = AuthenticationManager()
    return _auth_manager


class AuthenticationManager:
    """Issues and verifies tokens."""

    def __init__(self) -> None:
        self.tokens: dict = {}
)";

// Runs `file` with the interpreter of the venv at `venv`; its exit status.
int run_python(test::Host& host, const fs::path& venv, const fs::path& file)
{
  const std::string command = "'" + host.on_disk(venv / "bin/python3").string() + "' '"
                              + host.on_disk(file).string() + "' >/dev/null 2>&1";
  return std::system(command.c_str());
}

} // namespace

TEST_CASE("install.python-env")
{
  test::Host host;

  SUBCASE("the bootstrap venv in the Cell 0 home, without fastapi, is named as the cause")
  {
    make_venv(host, "/home/op/.cell0/.venv");
    const Finding finding = host.run("install.python-env");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "BOOTSTRAP_VENV");
    CHECK(finding.summary
          == "cell0d would run with /home/op/.cell0/.venv/bin/python3 (<home>/.venv), which "
             "cannot import fastapi");
    CHECK(finding.details.find("No module named 'fastapi'") != std::string::npos);
    CHECK(finding.details.find("Cell 0's bootstrap creates this venv") != std::string::npos);
    CHECK(finding.remediation == "/home/op/.cell0/.venv" + k_pip_install);
  }

  SUBCASE("the checkout's venv wins over the bootstrap venv")
  {
    checkout(host);
    make_venv(host, "/home/op/.cell0/.venv");
    const fs::path site = make_venv(host, "/opt/cell0-os/.venv");
    add_package(site, "fastapi", "0.115.11");
    add_package(site, "uvicorn", "0.34.0");
    const Finding finding = host.run("install.python-env");
    CHECK(finding.status == Status::ok);
    CHECK(
        starts_with(finding.summary, "/opt/cell0-os/.venv/bin/python3 (<root>/.venv): Python 3."));
  }

  SUBCASE("<home>/venv comes before the bootstrap <home>/.venv")
  {
    make_venv(host, "/home/op/.cell0/.venv");
    const fs::path site = make_venv(host, "/home/op/.cell0/venv");
    add_package(site, "fastapi", "0.115.11");
    add_package(site, "uvicorn", "0.34.0");
    const Finding finding = host.run("install.python-env");
    CHECK(finding.status == Status::ok);
    CHECK(
        starts_with(finding.summary, "/home/op/.cell0/venv/bin/python3 (<home>/venv): Python 3."));
  }

  SUBCASE("a venv of the checkout without uvicorn is missing dependencies, not the bootstrap venv")
  {
    checkout(host);
    add_package(make_venv(host, "/opt/cell0-os/.venv"), "fastapi", "0.115.11");
    const Finding finding = host.run("install.python-env");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "PYTHON_DEPS_MISSING");
    CHECK(finding.summary
          == "cell0d would run with /opt/cell0-os/.venv/bin/python3 (<root>/.venv), which cannot "
             "import uvicorn");
    CHECK(finding.details.find("No module named 'uvicorn'") != std::string::npos);
    CHECK(finding.remediation == "/opt/cell0-os/.venv" + k_pip_install);
  }

  SUBCASE("fastapi 0.92 silently ignores lifespan= and is a warning")
  {
    checkout(host);
    const fs::path site = make_venv(host, "/opt/cell0-os/.venv");
    add_package(site, "fastapi", "0.92.0");
    add_package(site, "uvicorn", "0.34.0");
    const Finding finding = host.run("install.python-env");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "FASTAPI_TOO_OLD");
    CHECK(starts_with(finding.summary,
                      "/opt/cell0-os/.venv/bin/python3 (<root>/.venv) has fastapi 0.92.0, which "
                      "silently ignores lifespan="));
    CHECK(finding.remediation == "/opt/cell0-os/.venv" + k_pip_install);
  }

  SUBCASE("all good is ok, naming the interpreter and the versions")
  {
    checkout(host);
    const fs::path site = make_venv(host, "/opt/cell0-os/.venv");
    add_package(site, "fastapi", "0.115.11");
    add_package(site, "uvicorn", "0.34.0");
    const Finding finding = host.run("install.python-env");
    CHECK(finding.status == Status::ok);
    CHECK(finding.code.empty());
    CHECK(
        starts_with(finding.summary, "/opt/cell0-os/.venv/bin/python3 (<root>/.venv): Python 3."));
    CHECK(ends_with(finding.summary, ", fastapi 0.115.11, uvicorn 0.34.0"));
  }
}

TEST_CASE("install.python-env")
{
  test::Host host;

  SUBCASE("without any venv, python3 on PATH is the interpreter asked")
  {
    const fs::path site = make_venv(host, "/opt/python");
    add_package(site, "fastapi", "0.115.11");
    add_package(site, "uvicorn", "0.34.0");
    host.inputs().environ.set("PATH", host.on_disk("/opt/python/bin").string());
    const Finding finding = host.run("install.python-env");
    INFO("summary: " << finding.summary);
    CHECK(finding.code != "PYTHON_BROKEN");
    CHECK(finding.status == Status::ok);
    CHECK(starts_with(finding.summary,
                      host.on_disk("/opt/python/bin/python3").string()
                          + " (python3 on PATH): Python 3."));
  }
}

TEST_CASE("install.cell0d-imports")
{
  test::Host host;

  SUBCASE("a module variable annotated with a later class fails at its line, on Python 3.11")
  {
    checkout(host);
    make_venv(host, "/opt/cell0-os/.venv");
    host.write("/opt/cell0-os/cell0/engine/security/auth.py", k_auth_py);
    // The stand-in really dies the way the real file does.
    CHECK(run_python(host, "/opt/cell0-os/.venv", "/opt/cell0-os/cell0/engine/security/auth.py")
          != 0);
    const Finding finding = host.run("install.cell0d-imports");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "CELL0D_IMPORT_NAMEERROR");
    CHECK(starts_with(finding.summary, "cell0d dies at import on Python 3."));
    CHECK(ends_with(finding.summary,
                    ": cell0/engine/security/auth.py:9 annotates with AuthenticationManager "
                    "before the class is defined at line 19 (NameError)"));
    CHECK(finding.remediation
          == "sed -i '1i from __future__ import annotations' "
             "/opt/cell0-os/cell0/engine/security/auth.py");
    CHECK(finding.details.find("Interpreter: /opt/cell0-os/.venv/bin/python3 (<root>/.venv).")
          != std::string::npos);
  }

  SUBCASE("from __future__ import annotations makes the same file harmless")
  {
    checkout(host);
    make_venv(host, "/opt/cell0-os/.venv");
    host.write("/opt/cell0-os/cell0/engine/security/auth.py",
               "from __future__ import annotations\n" + k_auth_py);
    CHECK(run_python(host, "/opt/cell0-os/.venv", "/opt/cell0-os/cell0/engine/security/auth.py")
          == 0);
    const Finding finding = host.run("install.cell0d-imports");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary
          == "cell0/engine/security/auth.py has no annotation evaluated before its class");
  }

  SUBCASE("a quoted annotation is not evaluated and is fine")
  {
    checkout(host);
    make_venv(host, "/opt/cell0-os/.venv");
    std::string quoted = k_auth_py;
    const std::string early = "Optional[AuthenticationManager]";
    quoted.replace(quoted.find(early), early.size(), "Optional['AuthenticationManager']");
    host.write("/opt/cell0-os/cell0/engine/security/auth.py", quoted);
    CHECK(run_python(host, "/opt/cell0-os/.venv", "/opt/cell0-os/cell0/engine/security/auth.py")
          == 0);
    const Finding finding = host.run("install.cell0d-imports");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary
          == "cell0/engine/security/auth.py has no annotation evaluated before its class");
  }

  SUBCASE("a checkout without auth.py is a skip")
  {
    checkout(host);
    const Finding finding = host.run("install.cell0d-imports");
    CHECK(finding.status == Status::skip);
    CHECK(finding.summary == "cell0/engine/security/auth.py not present in this checkout");
  }

  SUBCASE("no checkout is a skip that says how to name one")
  {
    const Finding finding = host.run("install.cell0d-imports");
    CHECK(finding.status == Status::skip);
    CHECK(finding.summary
          == "Cell 0 checkout not found (set cell0_root in cell0ctl's configuration)");
  }
}

TEST_CASE("install.cell0d-imports")
{
  test::Host host;

  SUBCASE("an annotation quoted as a whole is a string and is fine")
  {
    checkout(host);
    make_venv(host, "/opt/cell0-os/.venv");
    std::string quoted = k_auth_py;
    const std::string early = "Optional[AuthenticationManager]";
    quoted.replace(quoted.find(early), early.size(), "\"Optional[AuthenticationManager]\"");
    host.write("/opt/cell0-os/cell0/engine/security/auth.py", quoted);
    // Python itself imports it.
    REQUIRE(run_python(host, "/opt/cell0-os/.venv", "/opt/cell0-os/cell0/engine/security/auth.py")
            == 0);
    const Finding finding = host.run("install.cell0d-imports");
    INFO("summary: " << finding.summary);
    CHECK(finding.status == Status::ok);
  }
}

TEST_CASE("install.node")
{
  test::Host host;
  const fs::path bin = host.on_disk("/usr/local/bin");
  fs::create_directories(bin);
  host.inputs().environ.set("PATH", bin.string());

  SUBCASE("Node 18, as Debian 12 ships it, is too old for the gateway")
  {
    host.write_home("cell0.json", "{}");
    host.write("/usr/local/bin/node", "#!/bin/sh\necho v18.19.0\n", fs::perms(0755));
    const Finding finding = host.run("install.node");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "RUNTIME_TOO_OLD");
    CHECK(finding.summary
          == "node 18.19.0 at " + (bin / "node").string()
                 + " is older than the Node gateway needs (20 or later)");
    CHECK(finding.remediation.find("NodeSource 20.x") != std::string::npos);
  }

  SUBCASE("Node 20 is fine")
  {
    host.write_home("cell0.json", "{}");
    host.write("/usr/local/bin/node", "#!/bin/sh\necho v20.20.2\n", fs::perms(0755));
    const Finding finding = host.run("install.node");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "node 20.20.2 at " + (bin / "node").string());
  }

  SUBCASE("no node while the gateway is configured is a failure")
  {
    host.inputs().environ.set("PATH", "");
    host.write_home("cell0.json", "{}");
    const Finding finding = host.run("install.node");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "NODE_MISSING");
    CHECK(finding.summary == "node is not on PATH; the Node gateway needs node 20 or later");
    CHECK(finding.remediation.find("apt-get install nodejs") == 0);
  }

  SUBCASE("no node and no gateway is a skip")
  {
    host.inputs().environ.set("PATH", "");
    const Finding finding = host.run("install.node");
    CHECK(finding.status == Status::skip);
    CHECK(finding.summary == "node not on PATH, and the Node gateway is not installed");
  }
}

TEST_CASE("install.python")
{
  test::Host host;
  const fs::path bin = host.on_disk("/usr/local/bin");
  fs::create_directories(bin);
  host.inputs().environ.set("PATH", bin.string());

  SUBCASE("Python 3.8 is too old for cell0d")
  {
    host.write("/usr/local/bin/python3", "#!/bin/sh\necho Python 3.8.10\n", fs::perms(0755));
    const Finding finding = host.run("install.python");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "RUNTIME_TOO_OLD");
    CHECK(finding.summary
          == "python3 3.8.10 at " + (bin / "python3").string()
                 + " is older than cell0d needs (3.9 or later)");
    CHECK(finding.remediation == "apt-get install python3");
  }

  SUBCASE("Python 3.11 is fine")
  {
    host.write("/usr/local/bin/python3", "#!/bin/sh\necho Python 3.11.2\n", fs::perms(0755));
    const Finding finding = host.run("install.python");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "python3 3.11.2 at " + (bin / "python3").string());
  }

  SUBCASE("no python3 on PATH is a failure, since cell0d always needs it")
  {
    host.inputs().environ.set("PATH", "");
    const Finding finding = host.run("install.python");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "PYTHON_MISSING");
    CHECK(finding.summary == "python3 is not on PATH; cell0d needs python3 3.9 or later");
  }
}
