// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/environ.hpp"
#include "lib/sys/process.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

using namespace cell0ctl;
using Vars = std::map<std::string, std::string, std::less<>>;
using namespace std::chrono_literals;

namespace {

const Environ k_environ(Vars{{"PATH", "/usr/bin:/bin"}});

ProgramResult run(const std::vector<std::string>& argv, const Environ& env = k_environ)
{
  return run_program(argv, env, Deadline::after(20s));
}

} // namespace

TEST_CASE("run_program")
{
  SUBCASE("output and exit status are captured, stdout and stderr apart")
  {
    const ProgramResult r = run({"sh", "-c", "echo out; echo err >&2; exit 3"});
    CHECK(r.started);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 3);
    CHECK(r.out == "out\n");
    CHECK(r.err == "err\n");
    CHECK(r.error.empty());
  }

  SUBCASE("a name is looked up in PATH, a path is run as is")
  {
    CHECK(run({"echo", "hello", "world"}).out == "hello world\n");
    CHECK(run({"/bin/true"}).exit_code == 0);
    CHECK(run({"false"}).exit_code == 1);
  }

  SUBCASE("the program sees exactly the environment given")
  {
    const Environ env(Vars{{"PATH", "/usr/bin:/bin"}, {"FOO", "a b"}});
    CHECK(run({"env"}, env).out == "FOO=a b\nPATH=/usr/bin:/bin\n");
  }

  SUBCASE("standard input is empty, so a reader ends at once")
  {
    const ProgramResult r = run({"cat"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.empty());
  }

  SUBCASE("a missing program is not started, and says why")
  {
    const ProgramResult r = run({"cell0ctl-no-such-program"});
    CHECK_FALSE(r.started);
    CHECK(r.exit_code == -1);
    CHECK(r.error == "not found in PATH");
    CHECK_FALSE(run({"/etc/passwd"}).started);
    CHECK(run({}).error == "no program given");
  }

  SUBCASE("a program past its deadline is killed and flagged")
  {
    const ProgramResult r = run_program({"sleep", "10"}, k_environ, Deadline::after(200ms));
    CHECK(r.started);
    CHECK(r.timed_out);
    CHECK(r.exit_code == -1);
  }

  SUBCASE("a program that exits while a background child holds its output is not timed out")
  {
    const ProgramResult r =
        run_program({"sh", "-c", "sleep 2 & echo started"}, k_environ, Deadline::after(1s));
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == 0);
    CHECK(r.out == "started\n");
  }

  SUBCASE("a program killed by a signal has no exit code but did not time out")
  {
    const ProgramResult r = run({"sh", "-c", "kill -9 $$"});
    CHECK(r.started);
    CHECK_FALSE(r.timed_out);
    CHECK(r.exit_code == -1);
  }

  SUBCASE("a program writing a lot is not blocked by a full pipe")
  {
    const ProgramResult r = run({"sh", "-c", "head -c 3000000 /dev/zero; echo done >&2"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.size() >= 1'000'000);
    CHECK(r.err == "done\n");
  }

  SUBCASE("output is cut at 1 MiB")
  {
    // One byte alone first, so that reads of whole buffers cannot end exactly at 1 MiB.
    const ProgramResult r = run({"sh", "-c", "printf x; sleep 0.2; head -c 3000000 /dev/zero"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.size() == std::size_t{1} << 20u);
  }
}

TEST_CASE("find_in_path")
{
  test::Scratch scratch;
  scratch.write("a/tool", "#!/bin/sh\n", std::filesystem::perms(0644));
  const auto tool = scratch.write("b/tool", "#!/bin/sh\n", std::filesystem::perms(0755));
  scratch.mkdir("c/tool");
  const std::string dirs = (scratch.path() / "a").string() + "::" + (scratch.path() / "c").string()
                           + ":" + (scratch.path() / "b").string();

  SUBCASE("the first executable regular file in PATH is found")
  {
    CHECK(find_in_path("tool", Environ(Vars{{"PATH", dirs}})) == tool);
  }

  SUBCASE("nothing is found when no entry holds it")
  {
    CHECK(find_in_path("tool", Environ(Vars{{"PATH", (scratch.path() / "a").string()}}))
          == std::nullopt);
  }

  SUBCASE("a name with a slash is checked as a path")
  {
    CHECK(find_in_path(tool.string(), Environ()) == tool);
    CHECK(find_in_path((scratch.path() / "a/tool").string(), Environ()) == std::nullopt);
  }
}
