// SPDX-License-Identifier: GPL-3.0-or-later
// The Cell 0 knowledge of validate-config: kinds, schemas and rules, against the real files of
// ../shared/fixtures/cell0-os and synthetic ones.

#include "lib/config/document.hpp"
#include "lib/schema/validator.hpp"
#include "lib/validate/kinds.hpp"
#include "lib/validate/rules.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace cell0ctl;
using namespace cell0ctl::validate;
namespace fs = std::filesystem;

namespace {

// What validate-config would report for one file: its kind, schema errors and rule findings.
struct Checked
{
  std::optional<std::string> kind;
  std::vector<std::string> load_errors;
  std::vector<std::string> schema_errors; // "line: /pointer: message"
  std::vector<Finding> findings;
};

schema::Validator& validator_for(const std::string& kind)
{
  static std::map<std::string, std::unique_ptr<schema::Validator>> validators;
  auto& slot = validators[kind];
  if (!slot) {
    slot = std::make_unique<schema::Validator>();
    config::Document schema = config::parse(cell0::schema_text(kind), config::Format::json, kind);
    REQUIRE_MESSAGE(schema.ok(), kind);
    slot->add_schema(cell0::schema_uri(kind), schema.documents.front());
  }
  return *slot;
}

Checked check_document(const config::Document& document,
                       const fs::path& path,
                       const std::map<std::string, std::string>* env = nullptr,
                       std::string environment = {})
{
  Checked out;
  out.kind = cell0::detect_kind(path, document);
  for (const auto& error : document.errors) {
    out.load_errors.push_back(config::describe(document.name, error));
  }
  if (!out.kind || cell0::schema_text(*out.kind).empty()) {
    return out;
  }
  for (const config::Node& root : document.documents) {
    const auto result = validator_for(*out.kind).validate(root, cell0::schema_uri(*out.kind));
    for (const auto& error : result.errors) {
      out.schema_errors.push_back(std::to_string(error.position.line) + ": "
                                  + error.instance_location + ": " + error.message);
    }
  }
  const cell0::RuleInput input{
      path.filename().string(), path, document, env, std::move(environment)};
  out.findings = cell0::check_rules(*out.kind, input);
  return out;
}

Checked check_file(const fs::path& path, const std::map<std::string, std::string>* env = nullptr)
{
  return check_document(config::load(path), path, env);
}

// A synthetic file `name` with `text`, checked as if it were at `name` (folders matter).
Checked check_text(const std::string& name,
                   std::string_view text,
                   const std::map<std::string, std::string>* env = nullptr)
{
  test::Scratch scratch;
  const fs::path path = scratch.write(name, text);
  return check_file(path, env);
}

int count(const Checked& checked, std::string_view rule, int line = 0)
{
  return static_cast<int>(std::ranges::count_if(checked.findings, [&](const Finding& finding) {
    return finding.rule_id == rule && (line == 0 || finding.line == line);
  }));
}

std::string list(const Checked& checked)
{
  std::string text;
  for (const Finding& finding : checked.findings) {
    text += std::to_string(finding.line) + ":" + std::to_string(finding.column) + " "
            + finding.rule_id + " " + finding.message + "\n";
  }
  for (const std::string& error : checked.schema_errors) {
    text += "schema " + error + "\n";
  }
  for (const std::string& error : checked.load_errors) {
    text += "load " + error + "\n";
  }
  return text;
}

// Files of the fixtures that are configs or manifests (not captured output, logs or state).
bool is_config_fixture(const fs::path& relative)
{
  const std::string text = relative.generic_string();
  for (const std::string_view skip : {"responses/", "live-runs/", "benchmarks/", "home-sample/"}) {
    if (text.starts_with(skip)) {
      return text.starts_with("home-sample/.cell0/cell0.json")
             || text.starts_with("home-sample/.cell0/snapshots/cell0.json");
    }
  }
  const std::string ext = relative.extension().string();
  const std::string name = relative.filename().string();
  return (ext == ".yaml" || ext == ".yml" || ext == ".json" || name.starts_with(".env"))
         && name != "daemon-status.json"; // a hand-written status sample, not a config
}

} // namespace

TEST_CASE("cell0 kinds: every real config and manifest file gets a kind and a result")
{
  const fs::path root = test::fixtures();
  if (root.empty()) {
    MESSAGE("skipped: ../shared/fixtures/cell0-os is absent (set CELL0CTL_SHARED)");
    return;
  }
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const fs::path relative = fs::relative(entry.path(), root);
    if (!entry.is_regular_file() || !is_config_fixture(relative)) {
      continue;
    }
    ++files;
    INFO(relative.generic_string());
    const Checked checked = check_file(entry.path());
    REQUIRE(checked.kind.has_value());
    if (*checked.kind == "helm-template") {
      CHECK(relative.generic_string().starts_with("helm/cell0/templates/"));
      continue;
    }
    CHECK(checked.load_errors.empty());
    // The shipped files have the right shape: their defects are what the rules find.
    CHECK_MESSAGE(checked.schema_errors.empty(), list(checked));
  }
  CHECK(files >= 60);

  const std::map<std::string, std::string> expected = {
      {"home-sample/.cell0/cell0.json", "cell0.json"},
      {"home-sample/.cell0/snapshots/cell0.json.bak.2026-11-25T08-13-24-816Z", "cell0.json"},
      {"cell0/config/production/app_config.yaml", "app-config"},
      {"cell0/config/tool_profiles.yaml", "tool-profiles"},
      {"cell0/integrations/signal_config.yaml", "signal-config"},
      {"cell0/integrations/google_chat_config.yaml", "google-chat-config"},
      {"cell0/skills/examples/hello_world/skill.yaml", "skill"},
      {"cell0/.env.signal.example", "dotenv"},
      {"k8s/03-deployment.yaml", "k8s-manifest"},
      {"k8s/kustomization.yaml", "k8s-manifest"},
      {"cell0/k8s/servicemonitor.yaml", "k8s-manifest"},
      {"helm/cell0/values.yaml", "helm-values"},
      {"helm/cell0/values-production.yaml", "helm-values"},
      {"helm/cell0/Chart.yaml", "helm-chart"},
      {"helm/cell0/templates/deployment.yaml", "helm-template"},
      {"cell0/monitoring/prometheus.yml", "prometheus"},
      {"cell0/docker/prometheus.yml", "prometheus"},
      {"cell0/monitoring/alerting/cell0-alerts.yml", "alert-rules"},
      {"cell0/monitoring/alerting/alertmanager.yml", "alertmanager"},
      {"docker-compose.yml", "docker-compose"},
      {"cell0/monitoring/grafana/dashboards/dashboard.yml", "grafana-provisioning"},
      {"cell0/docker/grafana/dashboards/cell0-dashboard.json", "grafana-dashboard"},
  };
  for (const auto& entry : expected) {
    const auto& [file, kind] = entry;
    INFO(entry.first);
    CHECK(check_file(root / file).kind == kind);
  }
}

TEST_CASE("cell0 defects: each defect the reference documents is found at its line")
{
  const fs::path root = test::fixtures();
  if (root.empty()) {
    MESSAGE("skipped: ../shared/fixtures/cell0-os is absent (set CELL0CTL_SHARED)");
    return;
  }
  // reference §1.8, §3.6: probes on /api/health/{live,ready,startup}, which nothing serves.
  const Checked deployment = check_file(root / "k8s/03-deployment.yaml");
  INFO(list(deployment));
  CHECK(count(deployment, "probe-path", 91) == 1);  // k8s/03-deployment.yaml:91 (liveness)
  CHECK(count(deployment, "probe-path", 100) == 1); // readiness
  CHECK(count(deployment, "probe-path", 109) == 1); // startup
  // §1.7: CELL0_POD_NAME... are set, read by nothing.
  CHECK(count(deployment, "unread-variable", 64) == 1);

  const Checked values = check_file(root / "helm/cell0/values.yaml");
  INFO(list(values));
  CHECK(count(values, "probe-path", 153) == 1); // helm/cell0/values.yaml:153
  CHECK(count(values, "probe-path", 164) == 1);
  CHECK(count(values, "probe-path", 175) == 1);
  CHECK(count(values, "metrics-port-setting", 70) == 1);  // service.metricsPort: 9090
  CHECK(count(values, "metrics-port-setting", 206) == 1); // config.metricsPort: 9090 (§1.8)
  CHECK(count(values, "placeholder-secret", 240) == 1);   // change-me-in-production-...
  CHECK(count(values, "unread-variable", 240) == 1);      // CELL0_SECRET_KEY (§1.7)

  // §1.7: ConfigMap keys nothing reads.
  const Checked configmap = check_file(root / "k8s/01-configmap.yaml");
  INFO(list(configmap));
  for (const int line : {17, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30}) {
    CHECK_MESSAGE(count(configmap, "unread-variable", line) == 1, line);
  }
  CHECK(count(configmap, "unread-variable") == 11);

  // §1.8: placeholder secrets; §1.7: CELL0_SECRET_KEY and JWT_KEY are read by nothing.
  const Checked secrets = check_file(root / "k8s/02-secrets.yaml");
  INFO(list(secrets));
  CHECK(count(secrets, "placeholder-secret", 18) == 1);
  CHECK(count(secrets, "placeholder-secret", 19) == 1);
  CHECK(count(secrets, "unread-variable", 18) == 1);
  CHECK(count(secrets, "unread-variable", 19) == 1);
  CHECK(count(check_file(root / "cell0/k8s/secrets.yaml"), "placeholder-secret", 12) == 1);

  // §1.8 and §3.6: the root compose file's default secret and its /api/health healthcheck.
  const Checked compose = check_file(root / "docker-compose.yml");
  INFO(list(compose));
  CHECK(count(compose, "placeholder-secret", 21) == 1);
  CHECK(count(compose, "probe-path", 29) == 1);
  CHECK(count(compose, "unread-variable", 21) == 1);
  // §1.7: CELL0_KERNEL_SOCKET and CELL0_REDIS_URL are set by compose files, read by nothing.
  CHECK(count(check_file(root / "cell0/docker-compose.full.yml"), "unread-variable", 47) == 1);
  CHECK(count(check_file(root / "packaging/docker/docker-compose.yml"), "unread-variable", 21)
        == 1);
  // Grafana expands its own ${datasource} template variables.
  CHECK(check_file(root / "cell0/monitoring/grafana/dashboards/cell0-overview.json")
            .findings.empty());

  // §1.5: the engine's loader crashes on the shipped tool_profiles.yaml (KeyError: 'low'),
  // and `process_kill` is in no group (§1.9 rule 20).
  const Checked profiles = check_file(root / "cell0/config/tool_profiles.yaml");
  INFO(list(profiles));
  CHECK(count(profiles, "risk-level-crash", 13) == 1);
  CHECK(count(profiles, "ungrouped-tool", 268) == 1);
  CHECK(count(profiles, "ungrouped-tool") == 1);
  CHECK(count(profiles, "undefined-group") == 0);
  CHECK(count(profiles, "inherits-missing") + count(profiles, "inherits-cycle") == 0);

  // §1.4: ${VAR} is never expanded in app_config.yaml.
  const Checked production = check_file(root / "cell0/config/production/app_config.yaml");
  INFO(list(production));
  for (const int line : {47, 77, 79, 86, 118, 120}) {
    CHECK_MESSAGE(count(production, "unresolved-variable", line) == 1, line);
  }
  CHECK(count(production, "metrics-port-setting", 106) == 1); // 9090 (§1.4, rule 14)

  const Checked staging = check_file(root / "cell0/config/staging/app_config.yaml");
  INFO(list(staging));
  CHECK(count(staging, "placeholder-secret", 47) == 1); // +15551234567 (§1.9 rule 3)
  CHECK(count(staging, "metrics-port-setting", 64) == 1);

  CHECK(count(check_file(root / "cell0/integrations/signal_config.yaml"), "placeholder-secret", 11)
        == 1); // +1234567890
  CHECK(count(check_file(root / "cell0/.env.signal.example"), "placeholder-secret", 9) == 1);

  // §1.6: ${GOOGLE_PROJECT_ID}... and the webhook on signal-cli's 8080 (§2.5, rule 24).
  const Checked chat = check_file(root / "cell0/integrations/google_chat_config.yaml");
  INFO(list(chat));
  CHECK(count(chat, "unresolved-variable", 9) == 1);
  CHECK(count(chat, "unresolved-variable", 15) == 1);
  CHECK(count(chat, "unresolved-variable", 191) == 1);
  CHECK(count(chat, "port-conflict", 32) == 1);

  // §1.8: Alertmanager does not expand ${SMTP_HOST:-...}.
  CHECK(count(check_file(root / "cell0/monitoring/alerting/alertmanager.yml"),
              "unresolved-variable",
              6)
        == 1);

  // §6: cell0/docker/prometheus.yml scrapes cell0:9090; the monitoring one names a rule file
  // that is not next to it.
  const Checked docker_prometheus = check_file(root / "cell0/docker/prometheus.yml");
  INFO(list(docker_prometheus));
  CHECK(count(docker_prometheus, "metrics-port", 25) == 1);
  CHECK(docker_prometheus.findings.front().column == 26); // at the port
  const Checked prometheus = check_file(root / "cell0/monitoring/prometheus.yml");
  INFO(list(prometheus));
  CHECK(count(prometheus, "rule-file-missing", 11) == 1);
  CHECK(count(prometheus, "metrics-port") == 0);

  // §6: alert rules that can never fire.
  const Checked alerts = check_file(root / "cell0/monitoring/alerting/cell0-alerts.yml");
  INFO(list(alerts));
  CHECK(count(alerts, "alert-enum-label", 25) == 1);     // OllamaUnavailable
  CHECK(count(alerts, "alert-unknown-metric", 66) == 1); // cell0_memory_total_bytes
  CHECK(count(alerts, "alert-unknown-metric", 126) == 1);
  CHECK(count(alerts, "alert-unknown-metric", 165) == 1); // cell0_agents_healthy, in a block scalar
  CHECK(count(alerts, "alert-enum-label", 178) == 1);     // SignalIntegrationIssues
  CHECK(count(alerts, "alert-histogram-name", 196) == 1); // ModelLoadTimeHigh
  CHECK(count(alerts, "alert-metric-not-exported", 13) == 0); // `up` is fine
  CHECK(count(alerts, "alert-metric-not-exported") > 0);      // §3.4
}

TEST_CASE("cell0 clean synthetic configs produce no findings")
{
  const std::vector<std::pair<std::string, std::string>> clean = {
      {".cell0/cell0.json",
       R"({"agent": {"provider": "ollama", "model": "ollama/llama3.3"},
  "gateway": {"port": 18789, "bind": "loopback", "auth": {"mode": "token", "token": "9f86d081884c7d65"}},
  "channels": {"telegram": {"enabled": true, "dmPolicy": "pairing"}, "googleChat": {"enabled": false}},
  "meta": {"version": "1.2.0"}})"},
      {"config/production/app_config.yaml",
       "debug: false\nlogging:\n  level: WARNING\n  format: json\n  max_file_size: 100MB\n"
       "tool_profiles:\n  default_profile: minimal\n  allow_dangerous_tools: false\n"
       "security:\n  require_auth: true\n  tls:\n    enabled: true\n    min_version: \"1.2\"\n"
       "features:\n  enable_swagger: false\nmonitoring:\n  prometheus:\n    port: 18802\n"
       "backup:\n  schedule: \"0 */4 * * *\"\n"},
      {"config/tool_profiles.yaml",
       "profiles:\n  - name: minimal\n    description: read only\n    tool_policies:\n"
       "      read: {permission: ALLOW, risk_level: low}\n"
       "  - name: coding\n    description: more\n    inherits: minimal\n    group_policies:\n"
       "      group:runtime:\n        permission: SANDBOX\n        sandbox_config: {timeout: 60, "
       "memory_limit: 512m}\n"
       "groups:\n  group:runtime:\n    tools: [exec]\n  group:fs:\n    tools: [read]\n"},
      {"k8s/deployment.yaml",
       "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: cell0\nspec:\n  selector:\n"
       "    matchLabels: {app: cell0}\n  template:\n    metadata:\n      labels: {app: cell0}\n"
       "      annotations: {prometheus.io/port: \"18802\"}\n    spec:\n      containers:\n"
       "        - name: cell0\n          image: cell0:1.2.0\n          ports:\n"
       "            - {name: http, containerPort: 18800}\n            - {name: metrics, "
       "containerPort: 18802}\n"
       "          env:\n            - {name: CELL0_ENV, value: production}\n"
       "            - {name: CELL0_STATE_DIR, value: /data/cell0}\n"
       "          livenessProbe: {httpGet: {path: /live, port: http}}\n"
       "          readinessProbe: {httpGet: {path: /ready, port: http}}\n"
       "          startupProbe: {httpGet: {path: /health, port: 18800}, failureThreshold: 30}\n"
       "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: cell0-config}\n"
       "data:\n  CELL0_PORT: \"18800\"\n  CELL0_WS_PORT: \"18801\"\n  CELL0_METRICS_PORT: "
       "\"18802\"\n"},
      {"monitoring/prometheus.yml",
       "global:\n  scrape_interval: 15s\nscrape_configs:\n  - job_name: cell0\n"
       "    static_configs:\n      - targets: ['cell0:18802']\n  - job_name: node\n"
       "    static_configs:\n      - targets: ['node-exporter:9100']\n"},
      {"monitoring/alerts.yml",
       "groups:\n  - name: cell0\n    rules:\n      - alert: Cell0Down\n        expr: "
       "up{job=\"cell0\"} == 0\n"
       "        for: 1m\n      - alert: Cell0Memory\n"
       "        expr: process_resident_memory_bytes{job=\"cell0\"} > 4e9\n"},
      {"docker-compose.yml",
       "services:\n  cell0:\n    image: cell0:1.2.0\n    ports: [\"18800:18800\", "
       "\"18802:18802\"]\n"
       "    environment:\n      - CELL0_ENV=production\n      - "
       "CELL0_JWT_SECRET=${CELL0_JWT_SECRET}\n"
       "    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", "
       "\"http://localhost:18800/health\"]\n"},
      {"helm/cell0/values.yaml",
       "replicaCount: 1\nimage: {repository: cell0, tag: \"1.2.0\"}\n"
       "service: {port: 18800, metricsPort: 18802}\nconfig: {metricsPort: 18802, logLevel: INFO}\n"
       "livenessProbe: {httpGet: {path: /live, port: http}}\n"
       "secrets: {CELL0_JWT_SECRET: \"\"}\n"},
      {".env", "SIGNAL_CLI_PHONE_NUMBER=+4915112345678\nSIGNAL_CLI_PORT=8080\nCELL0_PORT=18800\n"},
  };
  for (const auto& entry : clean) {
    const auto& [name, text] = entry;
    INFO(entry.first);
    const Checked checked = check_text(name, text);
    REQUIRE(checked.kind.has_value());
    CHECK(checked.load_errors.empty());
    CHECK_MESSAGE(checked.schema_errors.empty(), list(checked));
    // Cell 0's engine cannot load any tool_profiles.yaml today: a fact about Cell 0, not
    // about the file, reported once per file.
    const auto rest = std::ranges::count_if(checked.findings, [](const Finding& finding) {
      return finding.rule_id != "risk-level-crash";
    });
    CHECK_MESSAGE(rest == 0, list(checked));
  }
}

TEST_CASE("cell0 schemas catch typos and wrong types at their line")
{
  const Checked typo =
      check_text("config/staging/app_config.yaml", "debug: false\nloging:\n  level: INFO\n");
  INFO(list(typo));
  REQUIRE(typo.schema_errors.size() == 1);
  CHECK(typo.schema_errors.front().starts_with("2: "));
  const Checked port =
      check_text(".cell0/cell0.json", "{\n  \"gateway\": {\"port\": \"18789\"}\n}\n");
  REQUIRE(port.schema_errors.size() == 1);
  CHECK(port.schema_errors.front().starts_with("2: /gateway/port"));
  const Checked risk = check_text("tool_profiles.yaml",
                                  "profiles:\n  - name: a\n    description: b\n    tool_policies:\n"
                                  "      read: {permission: MAYBE}\n");
  CHECK(risk.schema_errors.size() == 1);
  const Checked probe =
      check_text("k8s/d.yaml",
                 "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n---\n"
                 "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
                 "spec:\n  selector: {}\n  template:\n    spec:\n      containers:\n"
                 "        - name: c\n          image: i\n          livenesProbe: {}\n");
  INFO(list(probe));
  REQUIRE(probe.schema_errors.size() == 1);
  CHECK(probe.schema_errors.front().starts_with("16: "));
  for (const auto& kind : cell0::kinds()) {
    INFO(kind.id);
    CHECK(cell0::schema_text(kind.id).empty() == !kind.has_schema);
  }
}

TEST_CASE("cell0 rules: each rule finds its problem and passes the fixed file")
{
  const auto rules_of = [](const std::string& name,
                           std::string_view text,
                           const std::map<std::string, std::string>* env = nullptr) {
    return check_text(name, text, env);
  };
  SUBCASE("unresolved-variable, with and without an environment file")
  {
    const std::string text = "security:\n  jwt_secret: ${JWT_SECRET}\n";
    const Checked bad = rules_of("config/staging/app_config.yaml", text);
    REQUIRE(count(bad, "unresolved-variable") == 1);
    CHECK(bad.findings.front().line == 2);
    CHECK(bad.findings.front().column == 15);
    const std::map<std::string, std::string> set = {{"JWT_SECRET", "s3cr3t"}};
    CHECK(count(rules_of("config/staging/app_config.yaml", text, &set), "unresolved-variable")
          == 0);
    const std::map<std::string, std::string> empty = {{"JWT_SECRET", ""}};
    CHECK(count(rules_of("config/staging/app_config.yaml", text, &empty), "unresolved-variable")
          == 1);
    // docker compose expands ${VAR} itself.
    CHECK(count(rules_of("docker-compose.yml", "services:\n  a:\n    image: ${IMAGE}\n"),
                "unresolved-variable")
          == 0);
  }
  SUBCASE("placeholder-secret")
  {
    const Checked bad =
        rules_of("k8s/s.yaml",
                 "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n"
                 "  API_KEY: your-api-key-here\n  TOKEN: changeme\n  PHONE: \"+15550001111\"\n");
    CHECK(count(bad, "placeholder-secret") == 3);
    const Checked good = rules_of("k8s/s.yaml",
                                  "apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n"
                                  "  API_KEY: 7d1f0e3a\n  PHONE: \"+4915112345678\"\n");
    CHECK(count(good, "placeholder-secret") == 0);
  }
  SUBCASE("empty-auth-secret")
  {
    const Checked bad =
        rules_of(".cell0/cell0.json", R"({"gateway": {"auth": {"mode": "token", "token": ""}}})");
    REQUIRE(count(bad, "empty-auth-secret") == 1);
    CHECK(bad.findings.front().column == 49);
    CHECK(count(rules_of(".cell0/cell0.json", R"({"gateway": {"auth": {"mode": "password"}}})"),
                "empty-auth-secret")
          == 1);
    CHECK(count(rules_of(".cell0/cell0.json",
                         R"({"gateway": {"auth": {"mode": "token", "token": "x1"}}})"),
                "empty-auth-secret")
          == 0);
  }
  SUBCASE("production-auth, production-swagger, production-debug")
  {
    const std::string text =
        "debug: true\nsecurity:\n  require_auth: false\nfeatures:\n  enable_swagger: true\n";
    const Checked bad = rules_of("config/production/app_config.yaml", text);
    CHECK(count(bad, "production-auth", 3) == 1);
    CHECK(count(bad, "production-swagger", 5) == 1);
    CHECK(count(bad, "production-debug", 1) == 1);
    CHECK(rules_of("config/development/app_config.yaml", text).findings.empty());
  }
  SUBCASE("inherits-missing and inherits-cycle")
  {
    const Checked missing = rules_of(
        "tool_profiles.yaml", "profiles:\n  - name: a\n    description: x\n    inherits: nope\n");
    CHECK(count(missing, "inherits-missing", 4) == 1);
    const Checked cycle = rules_of("tool_profiles.yaml",
                                   "profiles:\n  - {name: a, description: x, inherits: b}\n"
                                   "  - {name: b, description: x, inherits: c}\n"
                                   "  - {name: c, description: x, inherits: a}\n"
                                   "  - {name: d, description: x, inherits: a}\n");
    CHECK(count(cycle, "inherits-cycle") == 3); // a, b, c; d only leads into the loop
    const Checked fine = rules_of("tool_profiles.yaml",
                                  "profiles:\n  - {name: a, description: x}\n"
                                  "  - {name: b, description: x, inherits: a}\n");
    CHECK(fine.findings.empty());
  }
  SUBCASE("undefined-group, ungrouped-tool and risk-level-crash")
  {
    const Checked bad = rules_of("tool_profiles.yaml",
                                 "profiles:\n  - name: a\n    description: x\n    group_policies:\n"
                                 "      group:nope: {permission: ALLOW}\n    tool_policies:\n"
                                 "      frobnicate: {permission: DENY, risk_level: high}\n"
                                 "groups:\n  group:fs: {tools: [read]}\n");
    INFO(list(bad));
    CHECK(count(bad, "undefined-group", 5) == 1);
    CHECK(count(bad, "ungrouped-tool", 7) == 1);
    CHECK(count(bad, "risk-level-crash", 5) == 1);
    const Checked good = rules_of("tool_profiles.yaml",
                                  "profiles:\n  - name: a\n    description: x\n"
                                  "groups:\n  group:fs: {tools: [read]}\n");
    CHECK(good.findings.empty());
  }
  SUBCASE("unknown-profile")
  {
    test::Scratch scratch;
    scratch.write("config/tool_profiles.yaml", "profiles:\n  - {name: minimal, description: x}\n");
    const fs::path bad = scratch.write("config/production/app_config.yaml",
                                       "tool_profiles:\n  default_profile: minimall\n");
    CHECK(count(check_file(bad), "unknown-profile", 2) == 1);
    const fs::path good = scratch.write("config/staging/app_config.yaml",
                                        "tool_profiles:\n  default_profile: minimal\n");
    CHECK(count(check_file(good), "unknown-profile") == 0);
  }
  SUBCASE("port-duplicate and port-conflict")
  {
    CHECK(
        count(rules_of(".env", "CELL0_PORT=18800\nCELL0_METRICS_PORT=18800\n"), "port-duplicate", 2)
        == 1);
    CHECK(count(rules_of(".env", "CELL0_PORT=18800\nCELL0_METRICS_PORT=18802\n"), "port-duplicate")
          == 0);
    CHECK(count(rules_of("docker-compose.yml",
                         "services:\n  a:\n    image: a\n    ports: [\"8080:80\"]\n"
                         "  b:\n    image: b\n    ports: [\"127.0.0.1:8080:8080\"]\n"),
                "port-duplicate",
                7)
          == 1);
    CHECK(count(rules_of(".cell0/cell0.json", R"({"gateway": {"port": 18800}})"), "port-conflict")
          == 1);
    CHECK(count(rules_of(".cell0/cell0.json", R"({"gateway": {"port": 18789}})"), "port-conflict")
          == 0);
    CHECK(count(rules_of("google_chat_config.yaml", "webhook:\n  port: 8090\n"), "port-conflict")
          == 0);
  }
  SUBCASE("probe-path")
  {
    const std::string deployment =
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
        "spec:\n  selector: {}\n  template:\n    spec:\n      containers:\n"
        "        - name: c\n          image: i\n"
        "          ports: [{name: http, containerPort: 18800}, {name: gw, containerPort: 18789}]\n"
        "          livenessProbe: {httpGet: {path: PATH, port: PORT}}\n";
    const auto with = [&](std::string_view path, std::string_view port) {
      std::string text = deployment;
      text.replace(text.find("PATH"), 4, path);
      text.replace(text.find("PORT"), 4, port);
      return rules_of("k8s/d.yaml", text);
    };
    CHECK(count(with("/api/health", "http"), "probe-path", 12) == 1);
    CHECK(count(with("/api/health/live", "18800"), "probe-path") == 1);
    CHECK(count(with("/live", "http"), "probe-path") == 0);
    CHECK(count(with("/api/health", "gw"), "probe-path") == 0); // the gateway serves it
  }
  SUBCASE("metrics-port and metrics-port-setting")
  {
    const Checked bad = rules_of("prometheus.yml",
                                 "scrape_configs:\n  - job_name: cell0-api\n    static_configs:\n"
                                 "      - targets: [\"cell0:9090\", 'cell0:18802']\n");
    REQUIRE(count(bad, "metrics-port") == 1);
    CHECK(bad.findings.front().line == 4);
    CHECK(bad.findings.front().column == 26);
    CHECK(
        count(rules_of("values.yaml", "config:\n  metricsPort: 9090\n"), "metrics-port-setting", 2)
        == 1);
    CHECK(count(rules_of("values.yaml", "config:\n  metricsPort: 18802\n"), "metrics-port-setting")
          == 0);
  }
  SUBCASE("rule-file-missing")
  {
    test::Scratch scratch;
    scratch.write("alerting/cell0-alerts.yml", "groups: []\n");
    const fs::path file =
        scratch.write("prometheus.yml",
                      "rule_files:\n  - cell0-alerts.yml\n  - alerting/cell0-alerts.yml\n"
                      "  - /etc/prometheus/rules/*.yml\n");
    const Checked checked = check_file(file);
    CHECK(count(checked, "rule-file-missing") == 1);
    CHECK(count(checked, "rule-file-missing", 2) == 1);
  }
  SUBCASE("alert rules on metrics Cell 0 does not have")
  {
    const Checked bad =
        rules_of("alerts.yml",
                 "groups:\n  - name: g\n    rules:\n"
                 "      - alert: A\n        expr: cell0_agents_healthy < 1\n"
                 "      - alert: B\n        expr: cell0_model_load_duration_seconds > 60\n"
                 "      - alert: C\n        expr: |\n          max by (job) (\n"
                 "            cell0_signal_connection_status{state=\"connected\"}) == 0\n"
                 "      - alert: D\n        expr: rate(cell0_api_requests_total[5m]) > 1\n");
    INFO(list(bad));
    CHECK(count(bad, "alert-unknown-metric", 5) == 1);
    CHECK(count(bad, "alert-histogram-name", 7) == 1);
    REQUIRE(count(bad, "alert-enum-label", 11) == 1);
    const auto enum_label = std::ranges::find(bad.findings, "alert-enum-label", &Finding::rule_id);
    CHECK(enum_label->column == 44); // at `state`
    CHECK(count(bad, "alert-metric-not-exported", 13) == 1);
    const Checked good = rules_of(
        "alerts.yml",
        "groups:\n  - name: g\n    rules:\n"
        "      - alert: A\n        expr: up{job=\"cell0\"} == 0\n"
        "      - record: job:rss\n        expr: sum by (job) (process_resident_memory_bytes)\n");
    CHECK(good.findings.empty());
  }
  SUBCASE("unread-variable")
  {
    const Checked bad =
        rules_of(".env", "CELL0_WORKERS=4\nOLLAMA_URL=http://o:11434\nCELL0_PORT=18800\n");
    CHECK(count(bad, "unread-variable", 1) == 1);
    CHECK(count(bad, "unread-variable", 2) == 1);
    CHECK(count(bad, "unread-variable", 3) == 0);
    CHECK(count(rules_of(".env",
                         "CELL0_JWT_SECRET=x\nCELL0_APP_CONFIG_LOGGING_LEVEL=ERROR\n"
                         "CELL0_1PASSWORD_JWT_VAULT=v\n"),
                "unread-variable")
          == 0);
  }
}

TEST_CASE("cell0 promql: metric names of an expression")
{
  const auto names = [](std::string_view expr) {
    std::vector<std::string> out;
    for (const auto& [name, offset] : cell0::promql_metrics(expr)) {
      out.push_back(name);
    }
    return out;
  };
  CHECK(names("up{job=~\"cell0.*\"} == 0") == std::vector<std::string>{"up"});
  CHECK(names("sum by (le, job) (rate(a_bucket{x=\"y\"}[5m])) / ignoring(x) b offset 5m")
        == std::vector<std::string>{"a_bucket", "b"});
  CHECK(names("histogram_quantile(0.99, rate(c[5m])) > bool 2 and d")
        == std::vector<std::string>{"c", "d"});
  CHECK(cell0::promql_metrics("x + cell0_y").back().second == 4);
}
