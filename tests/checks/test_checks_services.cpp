// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/host.hpp"
#include "tests/support/http_server.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <optional>

using namespace cell0ctl;

namespace {

// Whether the captured responses are here; says so when they are not. (Subcases test it
// instead of returning early: a return would hide the subcases after it from doctest.)
bool have_fixtures()
{
  if (test::fixtures().empty()) {
    MESSAGE("../shared/fixtures absent: skipped");
    return false;
  }
  return true;
}

// The captured response `name` as the server's reply.
test::Reply replay(std::string_view name)
{
  const test::Captured captured = test::captured(name);
  return test::Reply{captured.status, captured.content_type, captured.body, false};
}

std::optional<double> measured(const Finding& finding, std::string_view name)
{
  for (const Measurement& measurement : finding.measurements) {
    if (measurement.name == name) {
      return measurement.value;
    }
  }
  return std::nullopt;
}

std::string closed_url()
{
  return fmt::format("http://127.0.0.1:{}", test::closed_port());
}

// Ollama's GET /api/tags as documented (docs/api.md, "List Local Models").
const std::string k_tags = R"({"models": [
  {"name": "llama3.2:3b", "model": "llama3.2:3b", "modified_at": "2026-10-02T11:04:21.512Z",
   "size": 2019393189, "digest": "a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72",
   "details": {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
               "parameter_size": "3.2B", "quantization_level": "Q4_K_M"}},
  {"name": "llama3:latest", "model": "llama3:latest", "modified_at": "2026-09-14T08:00:00.000Z",
   "size": 4661224676, "digest": "365c0bd3c000a25d28ddbf732fe1c6add414de7275464c4e4d1c3b5fcb5d8ad1",
   "details": {"parent_model": "", "format": "gguf", "family": "llama", "families": ["llama"],
               "parameter_size": "8.0B", "quantization_level": "Q4_0"}}
]})";

// A stand-in Ollama: /api/version and /api/tags.
test::HttpServer ollama_server()
{
  return test::HttpServer(std::map<std::string, test::Reply>{
      {"GET /api/version", {200, "application/json", R"({"version":"0.5.7"})", false}},
      {"GET /api/tags", {200, "application/json", k_tags, false}},
  });
}

// Ollama's default endpoint, as when nothing names it, but on a port nothing listens on: so
// that no real Ollama on this machine answers.
void ollama_default_down(test::Host& host)
{
  for (Endpoint& endpoint : host.inputs().endpoints) {
    if (endpoint.name == "ollama") {
      REQUIRE(endpoint.source == "default");
      endpoint.port = test::closed_port();
      endpoint.url = fmt::format("http://127.0.0.1:{}", endpoint.port);
    }
  }
}

} // namespace

TEST_CASE("gateway.health")
{
  test::Host host;

  SUBCASE("a gateway whose Python bridge is ok is healthy")
  {
    if (have_fixtures()) {
      test::HttpServer gateway({{"GET /api/health", replay("gateway-GET-api-health")}});
      host.endpoint("gateway", gateway.url());
      const Finding finding = host.run("gateway.health");
      CHECK(finding.status == Status::ok);
      CHECK(finding.summary == "gateway 1.2.0 answers, python bridge ok");
      CHECK(measured(finding, "latency").has_value());
    }
  }

  SUBCASE("\"healthy\" with a degraded bridge and cell0d down is a failure")
  {
    if (have_fixtures()) {
      test::HttpServer gateway(
          {{"GET /api/health", replay("gateway-cell0d-crashed-GET-api-health")}});
      host.endpoint("gateway", gateway.url());
      host.endpoint("cell0d", closed_url());
      const Finding finding = host.run("gateway.health");
      CHECK(finding.status == Status::fail);
      CHECK(finding.code == "GATEWAY_BRIDGE_DEGRADED");
      CHECK(finding.summary.find("python_bridge is \"degraded\": it has lost cell0d")
            != std::string::npos);
      CHECK(finding.remediation.find("see process.cell0d") == 0);
    }
  }

  SUBCASE("a degraded bridge while a hand-started cell0d answers is a detached gateway")
  {
    if (have_fixtures()) {
      // The gateway whose cell0d crashed, and the one captured beside a cell0d started by hand.
      for (const char* name :
           {"gateway-cell0d-crashed-GET-api-health", "gateway-external-cell0d-GET-api-health"}) {
        CAPTURE(name);
        test::Host fresh;
        test::HttpServer gateway({{"GET /api/health", replay(name)}});
        test::HttpServer cell0d({{"GET /health", replay("cell0d-GET-health")}});
        fresh.endpoint("gateway", gateway.url());
        fresh.endpoint("cell0d", cell0d.url());
        const Finding finding = fresh.run("gateway.health");
        CHECK(finding.status == Status::warn);
        CHECK(finding.code == "GATEWAY_BRIDGE_DETACHED");
        CHECK(finding.summary.find("python_bridge is \"degraded\" while cell0d answers at "
                                   + cell0d.url())
              != std::string::npos);
        CHECK(cell0d.requests() == 1);
      }
    }
  }

  SUBCASE("a gateway that accepts but never answers is unknown, not down")
  {
    test::Reply black_hole;
    black_hole.no_answer = true;
    test::HttpServer gateway({{"GET /api/health", black_hole}});
    host.endpoint("gateway", gateway.url());
    const Finding finding = host.run("gateway.health");
    CHECK(finding.status == Status::unknown);
    // The request shares the check's deadline, so the runner's TIMEOUT usually lands before the
    // check's own GATEWAY_TIMEOUT: either is the same verdict.
    CHECK((finding.code == "TIMEOUT" || finding.code == "GATEWAY_TIMEOUT"));
  }

  SUBCASE("an answer that is not Cell 0's health JSON is a bad answer")
  {
    test::HttpServer gateway(
        {{"GET /api/health",
          {200, "application/json", R"({"status": "healthy", "compon)", false}}});
    host.endpoint("gateway", gateway.url());
    const Finding finding = host.run("gateway.health");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "GATEWAY_BAD_ANSWER");
    CHECK(finding.summary
          == gateway.url() + "/api/health did not answer with Cell 0's health JSON");
  }

  SUBCASE("a configured gateway that is down is unreachable")
  {
    host.write_home("cell0.json", "{}");
    host.endpoint("gateway", closed_url());
    const Finding finding = host.run("gateway.health");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "GATEWAY_UNREACHABLE");
  }
}

TEST_CASE("cell0d.health")
{
  test::Host host;

  SUBCASE("the captured /health is healthy, with version and environment")
  {
    if (have_fixtures()) {
      test::HttpServer cell0d({{"GET /health", replay("cell0d-GET-health")}});
      host.endpoint("cell0d", cell0d.url());
      const Finding finding = host.run("cell0d.health");
      CHECK(finding.status == Status::ok);
      CHECK(finding.summary == "cell0d 1.2.0 (development) healthy");
    }
  }

  SUBCASE("nothing on its port is unreachable")
  {
    host.endpoint("cell0d", closed_url());
    const Finding finding = host.run("cell0d.health");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "CELL0D_UNREACHABLE");
  }
}

TEST_CASE("cell0d.deep")
{
  test::Host host;

  SUBCASE("the captured answers are ok, MLX unavailable off Apple silicon")
  {
    if (have_fixtures()) {
      for (const char* name : {"cell0d-GET-health-deep", "cell0d-fastapi0115-GET-health-deep"}) {
        CAPTURE(name);
        test::Host fresh;
        test::HttpServer cell0d({{"GET /health/deep", replay(name)}});
        fresh.endpoint("cell0d", cell0d.url());
        const Finding finding = fresh.run("cell0d.deep");
        CHECK(finding.status == Status::ok);
        CHECK(finding.summary
              == "daemon, monitoring, security, services ok; mlx unavailable, websocket 0 "
                 "connections");
      }
    }
  }

  SUBCASE("a component reported false is a warning naming it")
  {
    if (have_fixtures()) {
      auto body = nlohmann::json::parse(test::captured("cell0d-GET-health-deep").body);
      body["components"]["services"] = false;
      test::HttpServer cell0d(
          {{"GET /health/deep", {200, "application/json", body.dump(), false}}});
      host.endpoint("cell0d", cell0d.url());
      const Finding finding = host.run("cell0d.deep");
      CHECK(finding.status == Status::warn);
      CHECK(finding.code == "CELL0D_COMPONENT_DOWN");
      CHECK(
          finding.summary
          == "cell0d components down: services; daemon, monitoring, security ok; mlx unavailable, "
             "websocket 0 connections");
      CHECK(finding.remediation.find("/home/op/.cell0/logs/cell0d.log") != std::string::npos);
    }
  }
}

TEST_CASE("cell0d.ready")
{
  test::Host host;

  SUBCASE("the captured /ready is ok")
  {
    if (have_fixtures()) {
      test::HttpServer cell0d({{"GET /ready", replay("cell0d-GET-ready")}});
      host.endpoint("cell0d", cell0d.url());
      const Finding finding = host.run("cell0d.ready");
      CHECK(finding.status == Status::ok);
      CHECK(finding.summary == "cell0d /ready says \"ready\" (it answers 200 whenever it runs)");
    }
  }

  SUBCASE("503 is not ready")
  {
    test::HttpServer cell0d(
        {{"GET /ready", {503, "application/json", R"({"status":"starting"})", false}}});
    host.endpoint("cell0d", cell0d.url());
    const Finding finding = host.run("cell0d.ready");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "CELL0D_NOT_READY");
    CHECK(finding.summary == cell0d.url() + "/ready answered HTTP 503");
    CHECK(finding.details == R"({"status":"starting"})");
  }
}

TEST_CASE("metrics.series")
{
  test::Host host;

  SUBCASE("the shipped exporter serves only python_* and process_* series")
  {
    if (have_fixtures()) {
      test::HttpServer metrics({{"GET /metrics", replay("cell0d-metrics18802-GET-metrics")}});
      host.endpoint("metrics", metrics.url());
      const Finding finding = host.run("metrics.series");
      CHECK(finding.status == Status::warn);
      CHECK(finding.code == "METRICS_NO_CELL0_SERIES");
      // The captured body has 16 samples, none of them cell0_*.
      CHECK(finding.summary.find("the exporter serves 16 series, none of them cell0_*") == 0);
      CHECK(measured(finding, "series") == 16);
      CHECK(measured(finding, "cell0_series") == 0);
    }
  }

  SUBCASE("one cell0_ series makes it ok")
  {
    if (have_fixtures()) {
      test::Reply reply = replay("cell0d-metrics18802-GET-metrics");
      if (!reply.body.empty() && reply.body.back() != '\n') {
        reply.body += '\n';
      }
      reply.body += "cell0_uptime_seconds 1\n";
      test::HttpServer metrics({{"GET /metrics", reply}});
      host.endpoint("metrics", metrics.url());
      const Finding finding = host.run("metrics.series");
      CHECK(finding.status == Status::ok);
      CHECK(finding.summary == "17 series, 1 of them cell0_*");
      CHECK(measured(finding, "cell0_series") == 1);
    }
  }
}

TEST_CASE("ollama.reachable")
{
  test::Host host;

  SUBCASE("Ollama's /api/version is ok with its version")
  {
    test::HttpServer ollama = ollama_server();
    host.endpoint("ollama", ollama.url());
    const Finding finding = host.run("ollama.reachable");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "Ollama 0.5.7 at " + ollama.url());
  }

  SUBCASE("down while Cell 0 does not use it is a skip")
  {
    ollama_default_down(host);
    const Finding finding = host.run("ollama.reachable");
    CHECK(finding.status == Status::skip);
  }

  SUBCASE("down while Cell 0 is configured to use it is a failure")
  {
    host.write_home("cell0.json",
                    R"({"agent": {"provider": "ollama", "model": "ollama/llama3.2:3b"}})");
    ollama_default_down(host);
    const Finding finding = host.run("ollama.reachable");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "OLLAMA_UNREACHABLE");
    CHECK(finding.remediation == "start it: systemctl start ollama (or `ollama serve`)");
  }

  SUBCASE("an answer without a version is not Ollama")
  {
    test::HttpServer other(
        {{"GET /api/version", {200, "application/json", R"({"ok": true})", false}}});
    host.endpoint("ollama", other.url());
    CHECK(host.run("ollama.reachable").code == "OLLAMA_BAD_ANSWER");
  }
}

TEST_CASE("ollama.model-present")
{
  test::Host host;
  test::HttpServer ollama = ollama_server();
  host.endpoint("ollama", ollama.url());

  SUBCASE("the configured model is pulled")
  {
    host.write_home("cell0.json",
                    R"({"agent": {"provider": "ollama", "model": "ollama/llama3.2:3b"}})");
    const Finding finding = host.run("ollama.model-present");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "model llama3.2:3b is pulled (1.9 GiB)");
    CHECK(measured(finding, "model_size") == 2019393189.0);
  }

  SUBCASE("a model not pulled fails with the exact ollama pull")
  {
    host.write_home("cell0.json",
                    R"({"agent": {"provider": "ollama", "model": "ollama/qwen2.5:7b"}})");
    const Finding finding = host.run("ollama.model-present");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "OLLAMA_MODEL_MISSING");
    CHECK(finding.summary == "model qwen2.5:7b is not pulled into Ollama");
    CHECK(finding.remediation == "ollama pull qwen2.5:7b");
    CHECK(finding.details == "Ollama has: llama3.2:3b, llama3:latest");
  }

  SUBCASE("a model without a tag means :latest")
  {
    host.write_home("cell0.json", R"({"agent": {"provider": "ollama", "model": "ollama/llama3"}})");
    const Finding finding = host.run("ollama.model-present");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "model llama3:latest is pulled (4.3 GiB)");
  }

  SUBCASE("no Ollama model configured is a skip")
  {
    host.write_home(
        "cell0.json",
        R"({"agent": {"provider": "anthropic", "model": "anthropic/claude-opus-4-6"}})");
    CHECK(host.run("ollama.model-present").status == Status::skip);
  }
}

TEST_CASE("signal.health")
{
  test::Host host;

  SUBCASE("204 No Content, as signal-cli-rest-api answers, is healthy")
  {
    host.write_home("cell0.json", R"({"channels": {"signal": {"enabled": true}}})");
    test::HttpServer signal({{"GET /v1/health", {204, "application/json", "", false}}});
    host.endpoint("signal", signal.url());
    const Finding finding = host.run("signal.health");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "signal-cli REST API healthy (HTTP 204)");
  }

  SUBCASE("200 is healthy too")
  {
    host.write_home("cell0.json", R"({"channels": {"signal": {"enabled": true}}})");
    test::HttpServer signal({{"GET /v1/health", {200, "application/json", "", false}}});
    host.endpoint("signal", signal.url());
    const Finding finding = host.run("signal.health");
    CHECK(finding.status == Status::ok);
    CHECK(finding.summary == "signal-cli REST API healthy (HTTP 200)");
  }

  SUBCASE("500 is unhealthy")
  {
    host.write_home("cell0.json", R"({"channels": {"signal": {"enabled": true}}})");
    test::HttpServer signal(
        {{"GET /v1/health", {500, "application/json", R"({"error":"x"})", false}}});
    host.endpoint("signal", signal.url());
    const Finding finding = host.run("signal.health");
    CHECK(finding.status == Status::fail);
    CHECK(finding.code == "SIGNAL_UNHEALTHY");
    CHECK(finding.summary == signal.url() + "/v1/health answered HTTP 500");
    CHECK(finding.remediation == "read its log: docker logs cell0-signal-cli");
  }

  SUBCASE("Signal disabled is a skip, whatever listens on its port")
  {
    host.write_home("cell0.json", R"({"channels": {"signal": {"enabled": false}}})");
    const Finding finding = host.run("signal.health");
    CHECK(finding.status == Status::skip);
    CHECK(finding.summary == "Signal is not enabled (channels.signal.enabled in cell0.json)");
  }
}
