// SPDX-License-Identifier: GPL-3.0-or-later
// Rules of Cell 0's own configuration files: cell0.json, app_config.yaml, tool_profiles.yaml
// and the integrations.

#include "lib/config/document.hpp"
#include "lib/validate/rules_support.hpp"

#include <fmt/format.h>

#include <map>
#include <set>

namespace cell0ctl::validate::cell0::detail {
using config::Node;

namespace {

const Node* root_of(const Findings& findings)
{
  const auto& documents = findings.input().document.documents;
  return documents.empty() || !documents.front().is_object() ? nullptr : &documents.front();
}

bool is_true(const Node* node)
{
  return node != nullptr && node->is_bool() && node->as_bool();
}

// The ports of the other Cell 0 services (reference §2.5).
std::string_view port_owner(std::int64_t port)
{
  static const std::map<std::int64_t, std::string_view> k_owners = {
      {8080, "signal-cli-rest-api"},
      {11434, "Ollama"},
      {18790, "the portal"},
      {18800, "cell0d"},
      {18801, "cell0d's legacy WebSocket"},
      {18802, "cell0d's Prometheus metrics"},
      {18803, "the voice gateway"},
  };
  const auto found = k_owners.find(port);
  return found == k_owners.end() ? std::string_view() : found->second;
}

} // namespace

// reference §1.2 and §1.9 rules 5 and 7 (validateConfig and `cell0 security`).
void check_gateway(Findings& findings)
{
  const Node* root = root_of(findings);
  if (root == nullptr) {
    return;
  }
  if (const Node* mode = at(*root, "gateway.auth.mode"); mode != nullptr && mode->is_string()) {
    const std::string& value = mode->as_string();
    if (value == "token" || value == "password") {
      const Node* secret = at(*root, "gateway.auth." + value);
      if (secret == nullptr || (secret->is_string() && secret->as_string().empty())) {
        findings.add("empty-auth-secret",
                     secret != nullptr ? secret->position() : mode->position(),
                     fmt::format("auth mode '{}' with an empty {}: the gateway then "
                                 "authenticates every client",
                                 value,
                                 value),
                     fmt::format("set gateway.auth.{} to a long random value, e.g. the output "
                                 "of `openssl rand -hex 32`",
                                 value));
      }
    }
  }
  if (const Node* port = at(*root, "gateway.port");
      port != nullptr && port->type() == Node::Type::integer) {
    if (const std::string_view owner = port_owner(port->as_int()); !owner.empty()) {
      findings.add("port-conflict",
                   port->position(),
                   fmt::format("gateway.port {} is the port of {}", port->as_int(), owner),
                   "use the default 18789, or a port outside 18789-18803");
    }
  }
}

// reference §1.4 and §1.9 rules 13, 14 and 11 (default_profile).
void check_app_config(Findings& findings)
{
  const Node* root = root_of(findings);
  if (root == nullptr) {
    return;
  }
  const RuleInput& input = findings.input();
  const std::string environment =
      !input.environment.empty() ? input.environment : input.path.parent_path().filename().string();
  if (environment == "production") {
    const Node* auth = at(*root, "security.require_auth");
    if (auth != nullptr && auth->is_bool() && !auth->as_bool()) {
      findings.add("production-auth",
                   auth->position(),
                   "security.require_auth is false in production",
                   "set security.require_auth: true");
    }
    if (const Node* swagger = at(*root, "features.enable_swagger"); is_true(swagger)) {
      findings.add("production-swagger",
                   swagger->position(),
                   "features.enable_swagger is true in production: the API docs are public",
                   "set features.enable_swagger: false");
    }
    for (const std::string_view key : {"debug", "tool_profiles.allow_dangerous_tools"}) {
      if (const Node* flag = at(*root, key); is_true(flag)) {
        findings.add("production-debug",
                     flag->position(),
                     fmt::format("{} is true in production", key),
                     fmt::format("set {}: false", key));
      }
    }
  }
  if (const Node* port = at(*root, "monitoring.prometheus.port");
      port != nullptr && port->type() == Node::Type::integer && port->as_int() != 18802) {
    findings.add("metrics-port-setting",
                 port->position(),
                 fmt::format("monitoring.prometheus.port is {}, but cell0d serves metrics on "
                             "CELL0_METRICS_PORT (18802){}",
                             port->as_int(),
                             port->as_int() == 9090 ? "; 9090 is Prometheus's own port" : ""),
                 "set monitoring.prometheus.port: 18802");
  }
  // config/<env>/app_config.yaml names a profile of config/tool_profiles.yaml.
  const Node* profile = at(*root, "tool_profiles.default_profile");
  const auto profiles_file = input.path.parent_path().parent_path() / "tool_profiles.yaml";
  std::error_code ec;
  if (profile == nullptr || !profile->is_string() || input.path.empty()
      || !std::filesystem::is_regular_file(profiles_file, ec)) {
    return;
  }
  const config::Document profiles = config::load(profiles_file);
  const Node* list =
      profiles.documents.empty() ? nullptr : profiles.documents.front().find("profiles");
  if (list == nullptr || !list->is_array()) {
    return;
  }
  for (const Node& item : list->items()) {
    if (const Node* name = item.find("name");
        name != nullptr && name->is_string() && name->as_string() == profile->as_string()) {
      return;
    }
  }
  findings.add("unknown-profile",
               profile->position(),
               fmt::format("tool_profiles.default_profile '{}' is not a profile of {}",
                           profile->as_string(),
                           profiles_file.filename().string()),
               "name one of the profiles of tool_profiles.yaml");
}

namespace {

// reference §1.5 and §1.9 rule 20: group policies name groups of `groups`; each tool of a
// tool policy is listed in some group.
void check_groups(Findings& findings, const Node& root, const Node& profiles)
{
  const Node* groups = root.find("groups");
  if (groups == nullptr || !groups->is_object()) {
    return;
  }
  std::set<std::string> tools;
  for (const auto& group : groups->members()) {
    if (const Node* list = group.value.find("tools"); list != nullptr && list->is_array()) {
      for (const Node& tool : list->items()) {
        if (tool.is_string()) {
          tools.insert(tool.as_string());
        }
      }
    }
  }
  for (const Node& profile : profiles.items()) {
    if (const Node* policies = profile.find("group_policies");
        policies != nullptr && policies->is_object()) {
      for (const auto& policy : policies->members()) {
        if (groups->find(policy.key) == nullptr) {
          findings.add("undefined-group",
                       policy.key_position,
                       fmt::format("group '{}' is not defined under `groups`", policy.key),
                       "define the group and its tools under `groups`, or fix the name");
        }
      }
    }
    if (const Node* policies = profile.find("tool_policies");
        policies != nullptr && policies->is_object()) {
      for (const auto& policy : policies->members()) {
        if (!tools.contains(policy.key)) {
          findings.add("ungrouped-tool",
                       policy.key_position,
                       fmt::format("tool '{}' is in no group of `groups`", policy.key),
                       "add it to the tools of a group, or fix the name");
        }
      }
    }
  }
}

// reference §1.5 (verified by running it): ProfileRegistry._deserialize_profile does
// RiskLevel[value.lower()] while the members are upper-case, so any policy raises KeyError.
void check_risk_level(Findings& findings, const Node& profiles)
{
  const Node* first = nullptr;
  walk(profiles, [&](std::string_view key, const Node& node) {
    if (first == nullptr && (key == "group_policies" || key == "tool_policies") && node.is_object()
        && !node.members().empty()) {
      const Node* risk = node.members().front().value.find("risk_level");
      first = risk != nullptr ? risk : &node.members().front().value;
    }
  });
  if (first != nullptr) {
    findings.add("risk-level-crash",
                 first->position(),
                 "Cell 0's engine cannot load this file: ProfileRegistry looks up "
                 "RiskLevel[risk_level.lower()] and the enum's names are upper-case, so every "
                 "policy raises KeyError",
                 "keep the lower-case values (they are right); the engine's loader in "
                 "cell0/engine/security/tool_profiles.py needs RiskLevel(value)");
  }
}

} // namespace

// reference §1.5 and §1.9 rules 18-20.
void check_tool_profiles(Findings& findings)
{
  const Node* root = root_of(findings);
  const Node* list = root == nullptr ? nullptr : root->find("profiles");
  if (list == nullptr || !list->is_array()) {
    return;
  }
  check_groups(findings, *root, *list);
  check_risk_level(findings, *list);
  std::map<std::string, const Node*> parent_of; // profile name -> its `inherits` node
  for (const Node& item : list->items()) {
    if (const Node* name = item.find("name"); name != nullptr && name->is_string()) {
      parent_of[name->as_string()] = item.find("inherits");
    }
  }
  for (const auto& [name, inherits] : parent_of) {
    if (inherits == nullptr || !inherits->is_string()) {
      continue;
    }
    if (!parent_of.contains(inherits->as_string())) {
      findings.add("inherits-missing",
                   inherits->position(),
                   fmt::format("profile '{}' inherits '{}', which is not defined",
                               name,
                               inherits->as_string()),
                   "name an existing profile, or remove `inherits`");
      continue;
    }
    std::set<std::string> visited{name};
    for (const Node* step = inherits; step != nullptr && step->is_string();) {
      const std::string& next = step->as_string();
      if (next == name) {
        findings.add("inherits-cycle",
                     inherits->position(),
                     fmt::format("profile '{}' inherits from itself through its chain", name),
                     "break the loop: one profile of the chain must inherit nothing");
        break;
      }
      if (!visited.insert(next).second || !parent_of.contains(next)) {
        break; // a loop further up (reported for its own members) or a missing profile
      }
      step = parent_of[next];
    }
  }
}

// reference §2.5 and §1.9 rule 24: 8080 is signal-cli-rest-api's port.
void check_integrations(std::string_view kind, Findings& findings)
{
  const Node* root = root_of(findings);
  if (kind != "google-chat-config" || root == nullptr) {
    return;
  }
  const Node* port = at(*root, "webhook.port");
  if (port != nullptr && port->type() == Node::Type::integer) {
    if (const std::string_view owner = port_owner(port->as_int()); !owner.empty()) {
      findings.add("port-conflict",
                   port->position(),
                   fmt::format("webhook.port {} is the port of {}", port->as_int(), owner),
                   "move the Google Chat webhook to a free port, e.g. 8090");
    }
  }
}

} // namespace cell0ctl::validate::cell0::detail
