// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/host.hpp"

#include <doctest/doctest.h>

#include <fstream>

using namespace cell0ctl;

TEST_CASE("config.parse")
{
  test::Host host;

  SUBCASE("no cell0.json is a skip: the gateway is not configured")
  {
    CHECK(host.run("config.parse").status == Status::skip);
  }

  SUBCASE("a syntax error is reported at its line and column")
  {
    host.write_home("cell0.json", "{\n  \"agent\": {\n    \"model\": \"x\"\n    \"apiKey\": 1\n  }\n}\n");
    const Finding finding = host.run("config.parse");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "CONFIG_SYNTAX");
    CHECK(finding.summary.find("/home/op/.cell0/cell0.json:4:5: ") == 0);
    CHECK(finding.remediation.find("line 4, column 5") != std::string::npos);
  }

  SUBCASE("the newest gateway snapshot is offered as the way back")
  {
    host.write_home("cell0.json", "{ broken");
    host.write_home("snapshots/cell0.json.bak.2026-11-20T08-00-00-000Z", "{}");
    host.write_home("snapshots/cell0.json.bak.2026-11-25T08-13-24-816Z", "{}");
    const Finding finding = host.run("config.parse");
    CHECK(finding.remediation.find("cp /home/op/.cell0/snapshots/cell0.json.bak.2026-11-25T08-13-24-816Z "
                                   "/home/op/.cell0/cell0.json")
          != std::string::npos);
  }

  SUBCASE("a JSON array is not a configuration")
  {
    host.write_home("cell0.json", "[1, 2]");
    const Finding finding = host.run("config.parse");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "CONFIG_NOT_OBJECT");
  }

  SUBCASE("the real cell0.json written by the portal parses")
  {
    if (test::fixtures().empty()) {
      MESSAGE("../shared/fixtures absent: skipped");
      return;
    }
    std::ifstream in(test::fixtures() / "home-sample/.cell0/cell0.json");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    host.write_home("cell0.json", text);
    const Finding finding = host.run("config.parse");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "/home/op/.cell0/cell0.json parses (2 top-level keys)");
  }
}

TEST_CASE("config.auth")
{
  test::Host host;

  SUBCASE("no gateway.auth at all is a warning on loopback")
  {
    host.write_home("cell0.json", R"({"agent": {"provider": "ollama"}})");
    const Finding finding = host.run("config.auth");
    CHECK(finding.status == Status::warn);
    CHECK(finding.code == "AUTH_ABSENT");
  }

  SUBCASE("no authentication on the LAN is a failure")
  {
    host.write_home("cell0.json", R"({"gateway": {"bind": "lan", "auth": {"mode": "none"}}})");
    const Finding finding = host.run("config.auth");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "AUTH_NONE_ON_LAN");
  }

  SUBCASE("token mode with an empty token authenticates everyone")
  {
    host.write_home("cell0.json", R"({"gateway": {"auth": {"mode": "token", "token": ""}}})");
    const Finding finding = host.run("config.auth");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "AUTH_EMPTY_SECRET");
  }

  SUBCASE("password mode without a password is the same hole")
  {
    host.write_home("cell0.json", R"({"gateway": {"auth": {"mode": "password"}}})");
    CHECK(host.run("config.auth").code == "AUTH_EMPTY_SECRET");
  }

  SUBCASE("a token is never printed, only its fingerprint")
  {
    host.write_home("cell0.json",
                    R"({"gateway": {"auth": {"mode": "token", "token": "s3cret-token-value"}}})");
    const Finding finding = host.run("config.auth");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary.find("s3cret-token-value") == std::string::npos);
    CHECK(finding.summary.find("***") != std::string::npos);
  }

  SUBCASE("--show-secrets shows it")
  {
    host.inputs().show_secrets = true;
    host.write_home("cell0.json",
                    R"({"gateway": {"auth": {"mode": "token", "token": "s3cret-token-value"}}})");
    CHECK(host.run("config.auth").summary.find("s3cret-token-value") != std::string::npos);
  }

  SUBCASE("an unknown mode fails")
  {
    host.write_home("cell0.json", R"({"gateway": {"auth": {"mode": "oauth"}}})");
    CHECK(host.run("config.auth").code == "AUTH_MODE_INVALID");
  }
}

TEST_CASE("config.bind")
{
  test::Host host;

  SUBCASE("auto, custom and tailnet silently mean loopback")
  {
    for (const char* mode : {"auto", "custom", "tailnet"}) {
      host.write_home("cell0.json", std::string(R"({"gateway": {"bind": ")") + mode + "\"}}");
      const Finding finding = host.run("config.bind");
      CHECK(finding.status == Status::warn);
      CHECK(finding.code == "BIND_UNIMPLEMENTED");
    }
  }

  SUBCASE("an unknown bind mode fails")
  {
    host.write_home("cell0.json", R"({"gateway": {"bind": "everywhere"}})");
    CHECK(host.run("config.bind").code == "BIND_INVALID");
  }

  SUBCASE("customBindHost is ignored by the gateway")
  {
    host.write_home("cell0.json", R"({"gateway": {"bind": "lan", "customBindHost": "10.0.0.2"}})");
    CHECK(host.run("config.bind").code == "CUSTOM_BIND_HOST_IGNORED");
  }

  SUBCASE("a port out of range fails")
  {
    host.write_home("cell0.json", R"({"gateway": {"port": 70000}})");
    CHECK(host.run("config.bind").code == "GATEWAY_PORT_INVALID");
  }

  SUBCASE("lan is implemented")
  {
    host.write_home("cell0.json", R"({"gateway": {"bind": "lan", "port": 18789}})");
    CHECK(host.run("config.bind").status == Status::ok);
  }
}

TEST_CASE("config.model")
{
  test::Host host;

  SUBCASE("a provider that needs a key fails without one")
  {
    host.write_home("cell0.json", R"({"agent": {"provider": "anthropic", "model": "anthropic/claude-opus-4-6"}})");
    const Finding finding = host.run("config.model");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "API_KEY_MISSING");
  }

  SUBCASE("ollama needs no key")
  {
    host.write_home("cell0.json", R"({"agent": {"provider": "ollama", "model": "ollama/llama3.3"}})");
    const Finding finding = host.run("config.model");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "ollama model ollama/llama3.3");
  }

  SUBCASE("an unknown provider fails")
  {
    host.write_home("cell0.json", R"({"agent": {"provider": "skynet", "apiKey": "k"}})");
    CHECK(host.run("config.model").code == "PROVIDER_UNKNOWN");
  }

  SUBCASE("no model at all is a warning")
  {
    host.write_home("cell0.json", R"({"meta": {}})");
    CHECK(host.run("config.model").code == "MODEL_NOT_CONFIGURED");
  }

  SUBCASE("the API key appears only as a fingerprint")
  {
    host.write_home("cell0.json",
                    R"({"agent": {"provider": "anthropic", "apiKey": "sk-ant-PLACEHOLDER-not-a-real-key"}})");
    const Finding finding = host.run("config.model");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary.find("sk-ant") == std::string::npos);
  }
}
