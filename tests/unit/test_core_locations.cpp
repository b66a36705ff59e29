// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/environ.hpp"
#include "lib/core/error.hpp"
#include "lib/core/locations.hpp"
#include "lib/core/settings.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <map>
#include <string>
#include <vector>

using namespace cell0ctl;
using Vars = std::map<std::string, std::string, std::less<>>;

namespace {

const Settings k_no_settings;
const Environ k_no_environ;

Endpoint resolve_one(std::string_view name,
                     const std::vector<std::string>& overrides,
                     const Settings& settings = k_no_settings,
                     const Environ& env = k_no_environ,
                     const nlohmann::json* cell0_json = nullptr)
{
  return find_endpoint(resolve_endpoints(overrides, settings, env, cell0_json), name);
}

Errc resolve_error(const std::vector<std::string>& overrides, const Environ& env = k_no_environ)
{
  try {
    resolve_endpoints(overrides, k_no_settings, env, nullptr);
  } catch (const Error& e) {
    return e.code();
  }
  return Errc::ok;
}

} // namespace

TEST_CASE("resolve_endpoints")
{
  const Settings settings =
      Settings::parse("endpoints:\n  cell0d: http://s:2\n  gateway: s:3\n", "/c.yaml");
  const Environ env(Vars{{"CELL0_PORT", "4"}, {"CELL0_GATEWAY_PORT", "5"}});
  const auto cell0_json = nlohmann::json::parse(R"({"gateway": {"port": 6}})");

  SUBCASE("without any input every endpoint has its default port on loopback, in spec order")
  {
    const auto all = resolve_endpoints({}, k_no_settings, k_no_environ, nullptr);
    std::vector<std::string> urls;
    for (const Endpoint& e : all) {
      CHECK(e.source == "default");
      CHECK(e.host == "127.0.0.1");
      urls.push_back(e.name + "=" + e.url);
    }
    CHECK(urls
          == std::vector<std::string>{"gateway=http://127.0.0.1:18789",
                                      "portal=http://127.0.0.1:18790",
                                      "cell0d=http://127.0.0.1:18800",
                                      "websocket=http://127.0.0.1:18801",
                                      "metrics=http://127.0.0.1:18802",
                                      "ollama=http://127.0.0.1:11434",
                                      "signal=http://127.0.0.1:8080"});
  }

  SUBCASE("--endpoint wins over everything")
  {
    const Endpoint e = resolve_one("cell0d", {"cell0d=http://o:1"}, settings, env);
    CHECK(e.url == "http://o:1");
    CHECK(e.host == "o");
    CHECK(e.port == 1);
    CHECK(e.source == "--endpoint");
  }

  SUBCASE("cell0ctl's settings win over Cell 0's environment and config, and say where")
  {
    const Endpoint e = resolve_one("cell0d", {}, settings, env);
    CHECK(e.url == "http://s:2");
    CHECK(e.source == "/c.yaml:2:11");
    const Endpoint g = resolve_one("gateway", {}, settings, env, &cell0_json);
    CHECK(g.url == "http://s:3");
    CHECK(g.source == "/c.yaml:3:12");
  }

  SUBCASE("Cell 0's port variables win over cell0.json and defaults")
  {
    const Environ ports(Vars{{"CELL0_PORT", "4"},
                             {"CELL0_WS_PORT", "7"},
                             {"CELL0_METRICS_PORT", "8"},
                             {"CELL0_GATEWAY_PORT", "5"}});
    const auto all = resolve_endpoints({}, k_no_settings, ports, &cell0_json);
    CHECK(find_endpoint(all, "cell0d").url == "http://127.0.0.1:4");
    CHECK(find_endpoint(all, "cell0d").source == "$CELL0_PORT");
    CHECK(find_endpoint(all, "websocket").url == "http://127.0.0.1:7");
    CHECK(find_endpoint(all, "websocket").source == "$CELL0_WS_PORT");
    CHECK(find_endpoint(all, "metrics").url == "http://127.0.0.1:8");
    CHECK(find_endpoint(all, "metrics").source == "$CELL0_METRICS_PORT");
    CHECK(find_endpoint(all, "gateway").url == "http://127.0.0.1:5");
    CHECK(find_endpoint(all, "gateway").source == "$CELL0_GATEWAY_PORT");
  }

  SUBCASE("cell0.json gateway.port wins over the default")
  {
    const Endpoint g = resolve_one("gateway", {}, k_no_settings, k_no_environ, &cell0_json);
    CHECK(g.url == "http://127.0.0.1:6");
    CHECK(g.source == "cell0.json gateway.port");
  }

  SUBCASE("a gateway.port that is not a port is ignored")
  {
    const auto bad = nlohmann::json::parse(R"({"gateway": {"port": "6"}})");
    CHECK(resolve_one("gateway", {}, k_no_settings, k_no_environ, &bad).source == "default");
    const auto zero = nlohmann::json::parse(R"({"gateway": {"port": 70000}})");
    CHECK(resolve_one("gateway", {}, k_no_settings, k_no_environ, &zero).source == "default");
  }

  SUBCASE("OLLAMA_HOST is read in the forms Ollama accepts")
  {
    const auto ollama = [](const char* value) {
      return resolve_one("ollama", {}, k_no_settings, Environ(Vars{{"OLLAMA_HOST", value}}));
    };
    CHECK(ollama("0.0.0.0").url == "http://127.0.0.1:11434");
    CHECK(ollama("0.0.0.0").host == "127.0.0.1");
    CHECK(ollama("0.0.0.0").source == "$OLLAMA_HOST");
    CHECK(ollama("0.0.0.0:11500").url == "http://127.0.0.1:11500");
    CHECK(ollama("gpu").url == "http://gpu:11434");
    CHECK(ollama("http://h:1").url == "http://h:1");
    CHECK(ollama("https://h").url == "https://h:443");
    CHECK(ollama("[::1]").url == "http://[::1]:11434");
    CHECK(ollama("gpu:80").url == "http://gpu:80");
  }

  SUBCASE("a bad --endpoint is a usage Error")
  {
    CHECK(resolve_error({"nosuch=http://h:1"}) == Errc::usage);
    CHECK(resolve_error({"cell0d"}) == Errc::usage);
    CHECK(resolve_error({"cell0d=ftp://h:21"}) == Errc::usage);
    CHECK(resolve_error({"cell0d=http://:80"}) == Errc::usage);
    CHECK(resolve_error({"cell0d=http://h:99999"}) == Errc::usage);
  }

  SUBCASE("a CELL0_PORT that is not a port is a usage Error")
  {
    CHECK(resolve_error({}, Environ(Vars{{"CELL0_PORT", "abc"}})) == Errc::usage);
    CHECK(resolve_error({}, Environ(Vars{{"CELL0_PORT", "0"}})) == Errc::usage);
    CHECK(resolve_error({}, Environ(Vars{{"CELL0_PORT", "65536"}})) == Errc::usage);
  }

  SUBCASE("an unknown or bad endpoint in the settings is a config Error")
  {
    const auto config_error = [](const char* yaml) {
      try {
        resolve_endpoints({}, Settings::parse(yaml, "/c.yaml"), k_no_environ, nullptr);
      } catch (const Error& e) {
        return e.code();
      }
      return Errc::ok;
    };
    CHECK(config_error("endpoints:\n  nosuch: http://h:1\n") == Errc::config);
    CHECK(config_error("endpoints:\n  cell0d: ftp://h\n") == Errc::config);
  }

  SUBCASE("find_endpoint throws out_of_range for an unknown name")
  {
    const auto all = resolve_endpoints({}, k_no_settings, k_no_environ, nullptr);
    CHECK_THROWS_AS(find_endpoint(all, "nosuch"), std::out_of_range);
  }
}

// unusable URL "http://[:]:80" of it.
TEST_CASE("resolve_endpoints with OLLAMA_HOST=::")
{
  const Environ env(Vars{{"OLLAMA_HOST", "::"}});
  CHECK(resolve_one("ollama", {}, k_no_settings, env).url == "http://[::1]:11434");
}

// resolve_endpoints() ignores it and reports the default port 11434.
TEST_CASE("resolve_endpoints with OLLAMA_HOST=:PORT")
{
  const Environ env(Vars{{"OLLAMA_HOST", ":11500"}});
  const Endpoint e = resolve_one("ollama", {}, k_no_settings, env);
  CHECK(e.url == "http://127.0.0.1:11500");
  CHECK(e.source == "$OLLAMA_HOST");
}

TEST_CASE("parse_url")
{
  SUBCASE("scheme, host, port and path are split")
  {
    const auto parts = parse_url("https://Host.example:8443/api/v1");
    REQUIRE(parts);
    CHECK(parts->scheme == "https");
    CHECK(parts->host == "Host.example");
    CHECK(parts->port == 8443);
    CHECK(parts->path == "/api/v1");
  }

  SUBCASE("without a port the scheme's default port is used; without a scheme, http")
  {
    CHECK(parse_url("http://h")->port == 80);
    CHECK(parse_url("https://h")->port == 443);
    CHECK(parse_url("h:8080")->scheme == "http");
    CHECK(parse_url("h:8080")->port == 8080);
    CHECK(parse_url("HTTP://h")->scheme == "http");
  }

  SUBCASE("an IPv6 literal is read between brackets")
  {
    const auto parts = parse_url("[::1]:80");
    REQUIRE(parts);
    CHECK(parts->host == "::1");
    CHECK(parts->port == 80);
    CHECK(parse_url("http://[fe80::1]")->port == 80);
    CHECK(parse_url("http://[::1") == std::nullopt);
    CHECK(parse_url("http://[::1]x") == std::nullopt);
  }

  SUBCASE("user:password@ is not part of the host")
  {
    CHECK(parse_url("http://u:p@h:1")->host == "h");
  }

  SUBCASE("other schemes, empty hosts and bad ports are nothing")
  {
    CHECK(parse_url("ftp://h") == std::nullopt);
    CHECK(parse_url("http://") == std::nullopt);
    CHECK(parse_url("http://:80") == std::nullopt);
    CHECK(parse_url("http://h:0") == std::nullopt);
    CHECK(parse_url("http://h:65536") == std::nullopt);
    CHECK(parse_url("http://h:8x") == std::nullopt);
    CHECK(parse_url("not a url") == std::nullopt);
  }
}

TEST_CASE("redact_url")
{
  CHECK(redact_url("http://user:pass@h:1/x") == "http://***@h:1/x");
  CHECK(redact_url("https://token@h") == "https://***@h");
  CHECK(redact_url("user:pass@h:1") == "***@h:1");
  CHECK(redact_url("http://h:1/a@b") == "http://h:1/a@b");
  CHECK(redact_url("http://h:1") == "http://h:1");
}

TEST_CASE("resolve_home")
{
  const Settings settings = Settings::parse("timeout: 1s\ncell0_home: /from/settings\n", "/c.yaml");
  const Environ env(Vars{{"CELL0_STATE_DIR", "/from/env"}});

  SUBCASE("--cell0-home wins")
  {
    const auto home = resolve_home("/from/flag", settings, env, "/home/op");
    CHECK(home.value == "/from/flag");
    CHECK(home.source == "--cell0-home");
  }

  SUBCASE("then cell0_home of the settings, at its position")
  {
    const auto home = resolve_home(std::nullopt, settings, env, "/home/op");
    CHECK(home.value == "/from/settings");
    CHECK(home.source == "/c.yaml:2:13");
  }

  SUBCASE("then $CELL0_STATE_DIR")
  {
    const auto home = resolve_home(std::nullopt, k_no_settings, env, "/home/op");
    CHECK(home.value == "/from/env");
    CHECK(home.source == "$CELL0_STATE_DIR");
  }

  SUBCASE("then ~/.cell0")
  {
    const auto home = resolve_home(std::nullopt, k_no_settings, k_no_environ, "/home/op");
    CHECK(home.value == "/home/op/.cell0");
    CHECK(home.source == "$HOME/.cell0");
  }
}

TEST_CASE("user_home_directory")
{
  CHECK(user_home_directory(Environ(Vars{{"HOME", "/home/op"}})) == "/home/op");
  CHECK_FALSE(user_home_directory(Environ(Vars{{"HOME", ""}})).empty());
}
