// SPDX-License-Identifier: GPL-3.0-or-later
// Rules for every kind: ${VAR} placeholders, sample secrets, environment variables.

#include "lib/validate/rules_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>

namespace cell0ctl::validate::cell0::detail {
using config::Node;

namespace {

// Kinds whose reader never expands ${VAR}: yaml.safe_load (app_config, integrations,
// reference §1.4), Alertmanager and Prometheus (§1.8), kubectl and Helm values. Docker
// compose expands its files and .env files itself; Grafana expands ${VAR} in provisioning
// files and ${variable} in dashboards (template variables).
bool keeps_placeholders(std::string_view kind)
{
  return kind != "docker-compose" && kind != "dotenv" && kind != "helm-template"
         && !kind.starts_with("grafana-");
}

bool is_name_char(char c)
{
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// reference §1.9 rule 2: unresolved ${VAR} / ${VAR:-default}.
void check_placeholders(const Node& node, Findings& findings)
{
  const std::string& text = node.as_string();
  for (std::size_t start = text.find("${"); start != std::string::npos;
       start = text.find("${", start + 2)) {
    std::size_t end = start + 2;
    while (end < text.size() && is_name_char(text[end])) {
      ++end;
    }
    const std::string name = text.substr(start + 2, end - start - 2);
    if (name.empty() || end >= text.size()
        || (text[end] != '}' && text[end] != ':' && text[end] != '-')) {
      continue;
    }
    const auto* env = findings.input().env;
    if (env != nullptr) {
      const auto found = env->find(name);
      if (found != env->end() && !found->second.empty()) {
        continue;
      }
    }
    findings.add(
        "unresolved-variable",
        findings.where(node, start),
        env != nullptr
            ? fmt::format("${{{}}} is not set in the environment file", name)
            : fmt::format("${{{}}} is never expanded: its reader takes the text literally", name),
        env != nullptr
            ? fmt::format("set {} in the environment file, or write the value here", name)
            : "write the real value here (or render the file from a template), or "
              "pass --env-file to check that the variable will be set");
  }
}

bool is_secret_key(std::string_view key)
{
  const std::string name = lower(key);
  for (const std::string_view word : {"key", "secret", "token", "password", "pass", "dsn"}) {
    if (name.find(word) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// The sample values of reference §1.9 rule 3, found in §1.4, §1.6 and §1.8.
std::string_view placeholder_kind(std::string_view key, std::string_view text)
{
  const std::string value = lower(text);
  for (const std::string_view marker : {"change-me", "changeme", "change_me"}) {
    const std::size_t at_pos = value.find(marker);
    if (at_pos != std::string::npos
        && (at_pos == 0 || value[at_pos - 1] == '-' || value[at_pos - 1] == '=')) {
      return "a placeholder secret";
    }
  }
  if (const std::size_t your = value.find("your-");
      your != std::string::npos && value.find("-here", your) != std::string::npos) {
    return "a placeholder secret";
  }
  std::string digits;
  std::ranges::copy_if(value, std::back_inserter(digits), [](char c) {
    return c == '+' || std::isdigit(static_cast<unsigned char>(c));
  });
  if (value.starts_with('+') && digits.size() == value.size()
      && (digits == "+1234567890" || (digits.starts_with("+1555") && digits.size() == 12))) {
    return "a sample phone number";
  }
  if (is_secret_key(key) && value.find("placeholder") != std::string::npos) {
    return "a placeholder secret";
  }
  return {};
}

void check_placeholder_secrets(const Node& root, Findings& findings)
{
  walk(root, [&](std::string_view key, const Node& node) {
    if (!node.is_string()) {
      return;
    }
    std::string_view text = node.as_string();
    std::string_view name = key;
    std::size_t offset = 0;
    if (const std::size_t equals = text.find('=');
        key.empty() && equals != std::string_view::npos) {
      name = text.substr(0, equals); // "NAME=value" in a compose environment list
      offset = equals + 1;
      text.remove_prefix(offset);
    }
    if (const std::size_t dflt = text.find(":-");
        text.starts_with("${") && dflt != std::string_view::npos) {
      offset += dflt + 2; // ${VAR:-default}: the default is what runs when VAR is unset
      text = text.substr(dflt + 2, text.find('}') - dflt - 2);
    }
    const std::string_view what = placeholder_kind(name, text);
    if (!what.empty()) {
      findings.add(
          "placeholder-secret",
          findings.where(node, offset),
          fmt::format("'{}' is {}", std::string(name).empty() ? "value" : std::string(name), what),
          "replace it with the real value, kept out of the repository (a Secret "
          "manager, --env-file, or sealed secrets)");
    }
  });
}

// reference §1.7, "Honoured by code".
bool is_read(std::string_view name)
{
  static constexpr std::array k_read = {"CELL0_API_HOST",
                                        "CELL0_API_KEY_ENCRYPTION_KEY",
                                        "CELL0_AUDIT_SECRETS",
                                        "CELL0_AUTO_INIT_LOGGING",
                                        "CELL0_CONFIG_PATH",
                                        "CELL0_ENV",
                                        "CELL0_FAILED_AUTH_LOCKOUT_MINUTES",
                                        "CELL0_GATEWAY_HOST",
                                        "CELL0_GATEWAY_PORT",
                                        "CELL0_HOME",
                                        "CELL0_JWT_ACCESS_TOKEN_EXPIRE_MINUTES",
                                        "CELL0_JWT_ALGORITHM",
                                        "CELL0_JWT_AUDIENCE",
                                        "CELL0_JWT_ISSUER",
                                        "CELL0_JWT_PRIVATE_KEY",
                                        "CELL0_JWT_PRIVATE_KEY_FILE",
                                        "CELL0_JWT_PUBLIC_KEY",
                                        "CELL0_JWT_PUBLIC_KEY_FILE",
                                        "CELL0_JWT_REFRESH_TOKEN_EXPIRE_DAYS",
                                        "CELL0_JWT_SECRET",
                                        "CELL0_LOG_BACKUP_COUNT",
                                        "CELL0_LOG_DIR",
                                        "CELL0_LOG_FORMAT",
                                        "CELL0_LOG_LEVEL",
                                        "CELL0_LOG_MAX_BYTES",
                                        "CELL0_MASTER_KEY",
                                        "CELL0_MAX_FAILED_AUTH_ATTEMPTS",
                                        "CELL0_METRICS_PORT",
                                        "CELL0_NO_PYTHON",
                                        "CELL0_PORT",
                                        "CELL0_REQUIRE_HTTPS",
                                        "CELL0_SECRET_CACHE_TTL",
                                        "CELL0_STATE_DIR",
                                        "CELL0_TPV_BACKUP",
                                        "CELL0_TPV_STORE",
                                        "CELL0_WS_HOST",
                                        "CELL0_WS_PORT",
                                        "CELL0_1PASSWORD_ENABLED",
                                        "CELL0_1PASSWORD_VAULT",
                                        "CELL0_1PASSWORD_ACCOUNT"};
  if (std::ranges::find(k_read, name) != k_read.end()) {
    return true;
  }
  // CELL0_1PASSWORD_JWT_* (jwt_handler.py) and ConfigManager's CELL0_<NAME>_<KEY_PATH>
  // overrides of app_config and tool_profiles (§1.4).
  return name.starts_with("CELL0_1PASSWORD_JWT_") || name.starts_with("CELL0_APP_CONFIG_")
         || name.starts_with("CELL0_TOOL_PROFILES_");
}

// The hint for a variable nothing reads (reference §1.7, §3.7).
std::string unread_hint(std::string_view name)
{
  if (name == "CELL0_SECRET_KEY" || name == "JWT_KEY" || name == "JWT_SECRET") {
    return "set CELL0_JWT_SECRET (at least 32 characters), the one JWT variable the code reads";
  }
  if (name == "CELL0_OLLAMA_URL" || name == "OLLAMA_URL") {
    return "remove it: the Ollama URL is hard-coded to http://localhost:11434";
  }
  if (name == "CELL0_HOST") {
    return "remove it: cell0d always binds 0.0.0.0";
  }
  if (name == "CELL0_HTTP_PORT") {
    return "use CELL0_PORT";
  }
  return "remove it, or set the variable Cell 0 reads instead (see cell0ctl-validate-config(1))";
}

// reference §1.7 "Set by deployment manifests or docs but read by nothing" and §1.9 rule 27.
void check_unread_variables(std::string_view kind, Findings& findings)
{
  for (const EnvSetting& setting : env_settings(kind, findings.input().document)) {
    const std::string& name = setting.name;
    const bool cell0 = name.starts_with("CELL0_") && !is_read(name);
    if (cell0 || name == "JWT_KEY" || name == "JWT_SECRET" || name == "OLLAMA_URL") {
      findings.add("unread-variable",
                   setting.position,
                   fmt::format("{} is read by nothing in Cell 0", name),
                   unread_hint(name));
    }
  }
}

// reference §1.9 rule 25: CELL0_PORT, CELL0_WS_PORT, CELL0_METRICS_PORT pairwise distinct.
void check_env_ports(std::string_view kind, Findings& findings)
{
  std::vector<std::pair<int, std::string>> seen;
  for (const EnvSetting& setting : env_settings(kind, findings.input().document)) {
    if (setting.name != "CELL0_PORT" && setting.name != "CELL0_WS_PORT"
        && setting.name != "CELL0_METRICS_PORT" && setting.name != "CELL0_GATEWAY_PORT") {
      continue;
    }
    const std::string text =
        setting.value != nullptr && setting.value->is_string() ? setting.value->as_string()
        : setting.value != nullptr && setting.value->type() == Node::Type::integer
            ? std::to_string(setting.value->as_int())
            : setting.text;
    const int port = port_of(":" + text);
    const auto other = std::ranges::find(seen, port, &std::pair<int, std::string>::first);
    if (port != 0 && other != seen.end() && other->second != setting.name) {
      findings.add("port-duplicate",
                   setting.position,
                   fmt::format("{} is {}, the port of {}", setting.name, port, other->second),
                   "give each of CELL0_PORT (18800), CELL0_WS_PORT (18801) and CELL0_METRICS_PORT "
                   "(18802) its own port");
    }
    seen.emplace_back(port, setting.name);
  }
}

} // namespace

void check_common(std::string_view kind, Findings& findings)
{
  for (const Node& root : findings.input().document.documents) {
    if (keeps_placeholders(kind)) {
      walk(root, [&](std::string_view, const Node& node) {
        if (node.is_string()) {
          check_placeholders(node, findings);
        }
      });
    }
    check_placeholder_secrets(root, findings);
  }
  check_unread_variables(kind, findings);
  check_env_ports(kind, findings);
}

} // namespace cell0ctl::validate::cell0::detail
