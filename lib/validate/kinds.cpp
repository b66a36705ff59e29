// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/validate/kinds.hpp"

#include <algorithm>
#include <map>

namespace cell0ctl::validate::cell0 {
namespace fs = std::filesystem;
using config::Node;

namespace {

bool starts_with(std::string_view text, std::string_view prefix)
{
  return text.substr(0, prefix.size()) == prefix;
}

bool ends_with(std::string_view text, std::string_view suffix)
{
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

bool is_yaml_name(std::string_view name)
{
  return ends_with(name, ".yaml") || ends_with(name, ".yml");
}

// The stem of a YAML file name ("prometheus" for prometheus.yml), or "" for another name.
std::string yaml_stem(std::string_view name)
{
  if (!is_yaml_name(name)) {
    return {};
  }
  return std::string(name.substr(0, name.rfind('.')));
}

// Kinds recognised by the file name alone (reference/cell0-os.md §1.1 lists the names).
std::optional<std::string> kind_from_name(const fs::path& path, const config::Document& document)
{
  const std::string name = path.filename().string();
  const std::string stem = yaml_stem(name);
  const std::string parent = path.parent_path().filename().string();
  if (parent == "templates" && fs::exists(path.parent_path().parent_path() / "Chart.yaml")) {
    return "helm-template";
  }
  if (name == "cell0.json" || starts_with(name, "cell0.json.bak")) {
    return "cell0.json"; // C1 and its C2 snapshots
  }
  if (name == "config.json" && parent == ".cell0") {
    return "python-config"; // C3
  }
  if (document.format == config::Format::env) {
    return "dotenv"; // C15
  }
  static const std::map<std::string, std::string, std::less<>> k_stems = {
      {"Chart", "helm-chart"},
      {"alertmanager", "alertmanager"},
      {"app_config", "app-config"},
      {"google_chat_config", "google-chat-config"},
      {"prometheus", "prometheus"},
      {"signal_config", "signal-config"},
      {"skill", "skill"},
      {"tool_profiles", "tool-profiles"},
  };
  if (const auto found = k_stems.find(stem); found != k_stems.end()) {
    return found->second;
  }
  if (starts_with(stem, "docker-compose") || starts_with(stem, "compose")) {
    return "docker-compose";
  }
  if (starts_with(stem, "loki")) {
    return "loki";
  }
  if (starts_with(stem, "promtail")) {
    return "promtail";
  }
  if (stem == "values" || starts_with(stem, "values-")) {
    return "helm-values";
  }
  return std::nullopt;
}

bool has(const Node& node, std::string_view key)
{
  return node.find(key) != nullptr;
}

bool is_rule_groups(const Node& root)
{
  const Node* groups = root.find("groups");
  if (groups == nullptr || !groups->is_array() || groups->items().empty()) {
    return false;
  }
  return std::ranges::all_of(groups->items(), [](const Node& group) {
    return group.is_object() && group.find("rules") != nullptr;
  });
}

// Kinds recognised by the content of the first document.
std::optional<std::string> kind_from_content(const Node& root)
{
  if (!root.is_object()) {
    return std::nullopt;
  }
  const Node* api_version = root.find("apiVersion");
  const Node* kind = root.find("kind");
  if (api_version != nullptr && api_version->is_string() && kind != nullptr && kind->is_string()) {
    return "k8s-manifest";
  }
  if (api_version != nullptr && api_version->is_number()
      && (has(root, "datasources") || has(root, "providers"))) {
    return "grafana-provisioning";
  }
  if (is_rule_groups(root)) {
    return "alert-rules";
  }
  if (has(root, "scrape_configs")) {
    return has(root, "clients") ? "promtail" : "prometheus";
  }
  if (has(root, "route") && has(root, "receivers")) {
    return "alertmanager";
  }
  if (const Node* services = root.find("services"); services != nullptr && services->is_object()) {
    return "docker-compose";
  }
  if (const Node* profiles = root.find("profiles"); profiles != nullptr && profiles->is_array()) {
    return "tool-profiles";
  }
  if (const Node* panels = root.find("panels"); panels != nullptr && panels->is_array()) {
    return "grafana-dashboard";
  }
  if (has(root, "signal_cli_url")) {
    return "signal-config";
  }
  if (has(root, "replicaCount") && has(root, "image")) {
    return "helm-values";
  }
  if (has(root, "gateway") || has(root, "agent") || has(root, "channels")) {
    return "cell0.json";
  }
  if (has(root, "setup_complete") || has(root, "cell0_home")) {
    return "python-config";
  }
  if (has(root, "logging") && (has(root, "security") || has(root, "tool_profiles"))) {
    return "app-config";
  }
  return std::nullopt;
}

} // namespace

const std::vector<KindInfo>& kinds()
{
  static const std::vector<KindInfo> k_kinds = {
      {"alert-rules", "Prometheus alert rules (cell0-alerts.yml)"},
      {"alertmanager", "Alertmanager configuration (alertmanager.yml)"},
      {"app-config", "app_config.yaml, the engine's per-environment configuration"},
      {"cell0.json", "~/.cell0/cell0.json, the gateway's configuration, and its snapshots"},
      {"docker-compose", "Docker Compose files"},
      {"dotenv", ".env files (an object of strings)"},
      {"google-chat-config", "google_chat_config.yaml, the Google Chat bot"},
      {"grafana-dashboard", "Grafana dashboards (JSON)"},
      {"grafana-provisioning", "Grafana provisioning (datasources, dashboard providers)"},
      {"helm-chart", "Chart.yaml of the Helm chart"},
      {"helm-template", "Helm templates (render them with `helm template` first)", false},
      {"helm-values", "values*.yaml of the Helm chart"},
      {"k8s-manifest", "Kubernetes manifests (any document with apiVersion and kind)"},
      {"loki", "Loki configuration"},
      {"prometheus", "prometheus.yml"},
      {"promtail", "Promtail configuration"},
      {"python-config", "~/.cell0/config.json of the Python cell0ctl"},
      {"signal-config", "signal_config.yaml, the Signal bot"},
      {"skill", "skill.yaml, a skill manifest"},
      {"tool-profiles", "tool_profiles.yaml, the tool security profiles"},
  };
  return k_kinds;
}

std::optional<std::string> detect_kind(const fs::path& path, const config::Document& document)
{
  if (auto kind = kind_from_name(path, document)) {
    return kind;
  }
  if (document.documents.empty()) {
    return std::nullopt;
  }
  return kind_from_content(document.documents.front());
}

const std::string& schema_text(std::string_view kind)
{
  static const std::map<std::string, std::string, std::less<>> k_texts = [] {
    std::map<std::string, std::string, std::less<>> texts;
    for (const auto& [name, text] : embedded_schemas()) {
      texts.emplace(std::string(name), std::string(text));
    }
    return texts;
  }();
  static const std::string k_none;
  const auto found = k_texts.find(kind);
  return found == k_texts.end() ? k_none : found->second;
}

std::string schema_uri(std::string_view kind)
{
  return "urn:cell0ctl:schemas:cell0:" + std::string(kind);
}

} // namespace cell0ctl::validate::cell0
