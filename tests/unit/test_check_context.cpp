// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/check/check.hpp"
#include "lib/check/context.hpp"
#include "lib/core/error.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <stdexcept>
#include <string>

using namespace cell0ctl;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const Check k_check{.id = "t.ctx", .title = "context", .depends_on = {}};

// Inputs with host files below `root`; home and user_home are paths on that host.
Inputs inputs_below(const fs::path& root)
{
  Inputs inputs;
  inputs.root = root;
  inputs.home = {"/home/op/.cell0", "default"};
  inputs.user_home = "/home/op";
  return inputs;
}

} // namespace

TEST_CASE("Context")
{
  test::Scratch scratch;
  Inputs inputs = inputs_below(scratch.path());
  inputs.settings = Settings::parse("checks:\n  t.ctx:\n    limit: 7\n    word: five\n", "/c.yaml");
  inputs.endpoints = resolve_endpoints({"cell0d=http://h:1"}, Settings(), Environ(), nullptr);
  Facts facts(inputs);
  Context context(inputs, facts, k_check, Deadline::after(5s));

  SUBCASE("host paths are below root; home paths are host paths")
  {
    CHECK(context.host_path("/etc/cell0/x.yaml") == scratch.path() / "etc/cell0/x.yaml");
    CHECK(context.home() == "/home/op/.cell0");
    CHECK(context.home("cell0.json") == "/home/op/.cell0/cell0.json");
    CHECK(context.host_path(context.home("cell0.json"))
          == scratch.path() / "home/op/.cell0/cell0.json");
  }

  SUBCASE("settings of the check are read below checks.<id>, with a fallback")
  {
    CHECK(context.number_setting("limit", 1) == 7.0);
    CHECK(context.number_setting("absent", 1) == 1.0);
    CHECK(context.duration_setting("absent", 3s) == 3s);
    CHECK(context.size_setting("absent", 42) == 42u);
    CHECK_THROWS_AS((void)context.number_setting("word", 1), Error);
  }

  SUBCASE("endpoints are looked up by name")
  {
    CHECK(context.endpoint("cell0d").url == "http://h:1");
    CHECK_THROWS_AS((void)context.endpoint("nosuch"), std::out_of_range);
  }

  SUBCASE("secrets are redacted unless --show-secrets")
  {
    CHECK(context.secret("abc") == "***ba7816");
    inputs.show_secrets = true;
    CHECK(context.secret("abc") == "abc");
  }
}

TEST_CASE("Facts")
{
  test::Scratch scratch;
  Inputs inputs = inputs_below(scratch.path());

  SUBCASE("<home>/cell0.json is read below root, once per run")
  {
    scratch.write("home/op/.cell0/cell0.json", R"({"gateway": {"port": 1}})");
    Facts facts(inputs);
    REQUIRE(facts.cell0_json().parsed());
    scratch.write("home/op/.cell0/cell0.json", "broken");
    CHECK(facts.cell0_json().parsed());
  }

  SUBCASE("once() computes a value once and shares it, exceptions included")
  {
    Facts facts(inputs);
    int calls = 0;
    const auto make = [&calls] { return ++calls; };
    CHECK(*facts.once<int>("k", make) == 1);
    CHECK(*facts.once<int>("k", make) == 1);
    CHECK(*facts.once<int>("other", make) == 2);
    int failures = 0;
    const auto boom = [&failures]() -> int {
      ++failures;
      throw std::runtime_error("boom");
    };
    CHECK_THROWS_AS(facts.once<int>("bad", boom), std::runtime_error);
    CHECK_THROWS_AS(facts.once<int>("bad", boom), std::runtime_error);
    CHECK(failures == 1);
  }

  SUBCASE("two GETs of one URL send one request and share the answer")
  {
    test::HttpServer server({{"GET /health", {200, "application/json", R"({"status":"ok"})"}}});
    inputs.endpoints =
        resolve_endpoints({"cell0d=" + server.url()}, Settings(), Environ(), nullptr);
    Facts facts(inputs);
    Context context(inputs, facts, k_check, Deadline::after(10s));
    CHECK(context.get("cell0d", "/health").body == R"({"status":"ok"})");
    CHECK(context.get("cell0d", "/health").body == R"({"status":"ok"})");
    CHECK(server.requests() == 1);
  }

  SUBCASE("processes are read from <root>/proc")
  {
    scratch.write("proc/42/status", "PPid:\t1\nUid:\t0\t0\t0\t0\n");
    scratch.write("proc/42/cmdline", std::string("node\0dist/gateway/index.js\0", 27));
    Facts facts(inputs);
    REQUIRE(facts.processes().find(42) != nullptr);
    CHECK(facts.processes().find(42)->argv.size() == 2);
  }
}

TEST_CASE("Facts::cell0_root")
{
  test::Scratch scratch;
  Inputs inputs = inputs_below(scratch.path());
  const auto root_of = [&inputs] {
    Facts facts(inputs);
    return facts.cell0_root();
  };

  SUBCASE("nothing found is nothing")
  {
    CHECK(root_of() == std::nullopt);
  }

  SUBCASE("~/cell0 holding cell0/cell0d.py is the last resort")
  {
    scratch.write("home/op/cell0/cell0/cell0d.py", "");
    const auto found = root_of();
    REQUIRE(found);
    CHECK(found->value == "/home/op/cell0");
    CHECK(found->source == "$HOME/cell0");
  }

  SUBCASE("the working directory of a running cell0d wins over ~/cell0")
  {
    scratch.write("home/op/cell0/cell0/cell0d.py", "");
    scratch.write("srv/cell0/cell0/cell0d.py", "");
    scratch.write("proc/77/status", "PPid:\t1\nUid:\t0\t0\t0\t0\n");
    scratch.write("proc/77/cmdline", std::string("python3\0cell0/cell0d.py\0", 24));
    fs::create_directory_symlink("/srv/cell0", scratch.path() / "proc/77/cwd");
    const auto found = root_of();
    REQUIRE(found);
    CHECK(found->value == "/srv/cell0");
    CHECK(found->source == "running process 77");
  }

  SUBCASE("$CELL0_HOME holding a checkout wins over processes")
  {
    scratch.write("home/op/cell0/cell0/cell0d.py", "");
    scratch.write("opt/cell0/cell0/cell0d.py", "");
    inputs.environ.set("CELL0_HOME", "/opt/cell0");
    const auto found = root_of();
    REQUIRE(found);
    CHECK(found->value == "/opt/cell0");
    CHECK(found->source == "$CELL0_HOME");
  }

  SUBCASE("cell0_root of the settings wins over everything")
  {
    scratch.write("opt/cell0/cell0/cell0d.py", "");
    inputs.environ.set("CELL0_HOME", "/opt/cell0");
    inputs.settings = Settings::parse("cell0_root: /x\n", "/c.yaml");
    const auto found = root_of();
    REQUIRE(found);
    CHECK(found->value == "/x");
    CHECK(found->source == "/c.yaml:1:13");
  }
}
