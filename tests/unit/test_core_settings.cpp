// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/environ.hpp"
#include "lib/core/error.hpp"
#include "lib/core/settings.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

using namespace cell0ctl;
using Vars = std::map<std::string, std::string, std::less<>>;
using Strings = std::vector<std::string>;

namespace {

// The Error that parsing `yaml` as /etc/c.yaml throws.
Error parse_error(const std::string& yaml)
{
  try {
    Settings::parse(yaml, "/etc/c.yaml");
  } catch (const Error& e) {
    return e;
  }
  FAIL("no Error thrown for: " << yaml);
  return Error(Errc::ok, "");
}

std::string number_error(const Settings& settings, std::string_view key)
{
  try {
    (void)settings.number(key);
  } catch (const Error& e) {
    CHECK(e.code() == Errc::config);
    return e.what();
  }
  return "no Error thrown";
}

} // namespace

TEST_CASE("Settings::parse")
{
  const Settings s = Settings::parse("timeout: 5s\n"
                                     "endpoints:\n"
                                     "  ollama: http://gpu:11434\n"
                                     "  cell0d: http://127.0.0.1:18800\n"
                                     "checks:\n"
                                     "  resources.cpu:\n"
                                     "    min: 2\n"
                                     "    enabled: true\n"
                                     "    skip: [a.b, c]\n"
                                     "    size: 10MB\n"
                                     "    word: five\n",
                                     "/etc/c.yaml");

  SUBCASE("values are found by dotted key path, with their type")
  {
    CHECK(s.source() == "/etc/c.yaml");
    CHECK(s.duration("timeout") == std::chrono::milliseconds(5000));
    CHECK(s.string("endpoints.ollama") == "http://gpu:11434");
    CHECK(s.number("checks.resources.cpu.min") == 2.0);
    CHECK(s.boolean("checks.resources.cpu.enabled") == true);
    CHECK(s.size("checks.resources.cpu.size") == 10'000'000u);
    CHECK(s.has("endpoints.cell0d"));
    CHECK_FALSE(s.has("endpoints.portal"));
    CHECK(s.string("endpoints.portal") == std::nullopt);
  }

  SUBCASE("children are the keys directly below a prefix, once each, sorted")
  {
    CHECK(s.children("endpoints") == Strings{"cell0d", "ollama"});
    CHECK(s.children("checks") == Strings{"resources"});
    CHECK(s.children("checks.resources.cpu") == Strings{"enabled", "min", "size", "skip", "word"});
    CHECK(s.children("nothing").empty());
  }

  SUBCASE("strings reads a list, a scalar as one item, and nothing as empty")
  {
    CHECK(s.strings("checks.resources.cpu.skip") == Strings{"a.b", "c"});
    CHECK(s.strings("endpoints.ollama") == Strings{"http://gpu:11434"});
    CHECK(s.strings("checks.none").empty());
  }

  SUBCASE("where gives file:line:col of the value, or the file alone")
  {
    CHECK(s.where("endpoints.ollama") == "/etc/c.yaml:3:11");
    CHECK(s.where("checks.resources.cpu.min") == "/etc/c.yaml:7:10");
    CHECK(s.where("absent") == "/etc/c.yaml");
  }

  SUBCASE("a value of the wrong type is a config Error at its line and column")
  {
    CHECK(number_error(s, "checks.resources.cpu.word")
          == "/etc/c.yaml:11:11: checks.resources.cpu.word: expected a number, got 'five'");
    CHECK_THROWS_AS((void)s.boolean("checks.resources.cpu.word"), Error);
    CHECK_THROWS_AS((void)s.duration("checks.resources.cpu.word"), Error);
    CHECK_THROWS_AS((void)s.size("checks.resources.cpu.word"), Error);
    CHECK_THROWS_AS((void)s.string("checks.resources.cpu.skip"), Error);
  }

  SUBCASE("an empty document and null values are no settings")
  {
    CHECK(Settings::parse("", "/etc/c.yaml").children("endpoints").empty());
    CHECK_FALSE(Settings::parse("cell0_home:\n", "/etc/c.yaml").has("cell0_home"));
  }
}

TEST_CASE("Settings::parse errors")
{
  SUBCASE("an unknown top-level key is named at its position, with the known keys as hint")
  {
    const Error e = parse_error("timeout: 5s\nendpionts:\n  cell0d: http://h:1\n");
    CHECK(e.code() == Errc::config);
    CHECK(std::string(e.what()) == "/etc/c.yaml:2:1: unknown setting 'endpionts'");
    CHECK(e.hint().find("endpoints") != std::string::npos);
  }

  SUBCASE("invalid YAML names the position where the parser stopped")
  {
    const Error e = parse_error("timeout: 5s\ncell0_home: a: b\n");
    CHECK(e.code() == Errc::config);
    CHECK(std::string(e.what()).rfind("/etc/c.yaml:2:14: invalid YAML: ", 0) == 0);
  }

  SUBCASE("a document that is not a mapping is refused")
  {
    const Error e = parse_error("- a\n- b\n");
    CHECK(e.code() == Errc::config);
    CHECK(std::string(e.what()) == "/etc/c.yaml:1:1: expected a mapping of settings");
  }

  SUBCASE("a mapping key that is not a plain value is refused at its position")
  {
    const Error e = parse_error("checks:\n  [a, b]: 1\n");
    CHECK(e.code() == Errc::config);
    CHECK(std::string(e.what()).rfind("/etc/c.yaml:2:3: ", 0) == 0);
  }

  SUBCASE("a list of mappings is refused at the bad item")
  {
    const Error e = parse_error("checks:\n  x:\n    - a\n    - {b: 1}\n");
    CHECK(e.code() == Errc::config);
    CHECK(std::string(e.what()).rfind("/etc/c.yaml:4:7: checks.x: ", 0) == 0);
  }
}

// check of top-level names runs before the try block that turns it into an Error).
TEST_CASE("Settings::parse with a list as a top-level key")
{
  CHECK_THROWS_AS(Settings::parse("[a, b]: 1\n", "/etc/c.yaml"), Error);
}

TEST_CASE("Settings::load")
{
  test::Scratch scratch;

  SUBCASE("a file is read and remembered as the source")
  {
    const auto file = scratch.write("c.yaml", "timeout: 2s\n");
    const Settings s = Settings::load(file);
    CHECK(s.source() == file);
    CHECK(s.where("timeout") == file.string() + ":1:10");
  }

  SUBCASE("a missing file is a config Error")
  {
    CHECK_THROWS_AS(Settings::load(scratch.path() / "absent.yaml"), Error);
  }
}

TEST_CASE("find_settings_file")
{
  test::Scratch scratch;
  const auto home = scratch.path() / "home";
  const auto root = scratch.path() / "root";

  SUBCASE("nothing found is nothing")
  {
    CHECK(find_settings_file(Environ(), home, root) == std::nullopt);
  }

  SUBCASE("the system file below root is the last resort")
  {
    const auto system = scratch.write("root/etc/cell0/cell0ctl.yaml", "");
    CHECK(find_settings_file(Environ(), home, root) == system);
  }

  SUBCASE("the user file wins over the system file")
  {
    scratch.write("root/etc/cell0/cell0ctl.yaml", "");
    const auto user = scratch.write("home/.config/cell0ctl/config.yaml", "");
    CHECK(find_settings_file(Environ(), home, root) == user);
  }

  SUBCASE("$CELL0CTL_CONFIG wins over both")
  {
    scratch.write("root/etc/cell0/cell0ctl.yaml", "");
    scratch.write("home/.config/cell0ctl/config.yaml", "");
    const auto chosen = scratch.write("chosen.yaml", "");
    const Environ env(Vars{{"CELL0CTL_CONFIG", chosen.string()}});
    CHECK(find_settings_file(env, home, root) == chosen);
  }

  SUBCASE("$CELL0CTL_CONFIG naming a missing file is a config Error naming it")
  {
    scratch.write("home/.config/cell0ctl/config.yaml", "");
    const auto missing = (scratch.path() / "missing.yaml").string();
    const Environ env(Vars{{"CELL0CTL_CONFIG", missing}});
    try {
      (void)find_settings_file(env, home, root);
      FAIL("no Error thrown");
    } catch (const Error& e) {
      CHECK(e.code() == Errc::config);
      CHECK(std::string(e.what()).find(missing) != std::string::npos);
    }
  }

  SUBCASE("an empty $CELL0CTL_CONFIG is as if unset")
  {
    const auto user = scratch.write("home/.config/cell0ctl/config.yaml", "");
    CHECK(find_settings_file(Environ(Vars{{"CELL0CTL_CONFIG", ""}}), home, root) == user);
  }
}
