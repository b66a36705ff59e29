// SPDX-License-Identifier: GPL-3.0-or-later
// Rules of the deployment files: Kubernetes manifests, Helm values, docker compose.

#include "lib/validate/rules_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>

namespace cell0ctl::validate::cell0::detail {
using config::Node;

namespace {

constexpr std::int64_t k_cell0d_port = 18800;

// What cell0d serves to a GET (reference §3.3, live-checked in cell0-os-live.md §3);
// `/api/health` and `/api/health/live|ready|startup` are served by nothing on 18800 (§3.6).
bool cell0d_serves(std::string_view path)
{
  path = path.substr(0, path.find('?'));
  static constexpr std::array k_paths = {"/health",
                                         "/health/deep",
                                         "/ready",
                                         "/live",
                                         "/api/status",
                                         "/api/config",
                                         "/api/agents",
                                         "/api/mlx/status",
                                         "/openapi.json"};
  return std::ranges::find(k_paths, path) != k_paths.end();
}

void add_probe_path(Findings& findings, const Node& node, std::size_t offset, std::string_view path)
{
  findings.add(
      "probe-path",
      findings.where(node, offset),
      fmt::format("cell0d does not serve '{}' on port 18800: the check always fails", path),
      "probe /live (liveness), /ready (readiness) or /health (startup) instead");
}

// The containerPort of the port called `name` in `container`, or 0.
std::int64_t named_port(const Node& container, std::string_view name)
{
  const Node* ports = container.find("ports");
  if (ports == nullptr || !ports->is_array()) {
    return 0;
  }
  for (const Node& port : ports->items()) {
    const Node* port_name = port.find("name");
    const Node* number = port.find("containerPort");
    if (port_name != nullptr && port_name->is_string() && port_name->as_string() == name
        && number != nullptr && number->type() == Node::Type::integer) {
      return number->as_int();
    }
  }
  return 0;
}

// A Kubernetes probe (in a manifest or in Helm values): reference §1.8 and §1.9 rule 28.
void check_probe(Findings& findings, const Node& probe, const Node* container)
{
  const Node* path = at(probe, "httpGet.path");
  const Node* port = at(probe, "httpGet.port");
  if (path == nullptr || !path->is_string() || port == nullptr) {
    return;
  }
  std::int64_t number = 0;
  if (port->type() == Node::Type::integer) {
    number = port->as_int();
  } else if (port->is_string() && container != nullptr) {
    number = named_port(*container, port->as_string());
  }
  if ((number == 0 || number == k_cell0d_port) && !cell0d_serves(path->as_string())) {
    add_probe_path(findings, *path, 0, path->as_string());
  }
}

void check_container(Findings& findings, const Node& container)
{
  for (const std::string_view probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    if (const Node* node = container.find(probe); node != nullptr && node->is_object()) {
      check_probe(findings, *node, &container);
    }
  }
  std::map<std::int64_t, bool> seen;
  if (const Node* ports = container.find("ports"); ports != nullptr && ports->is_array()) {
    for (const Node& port : ports->items()) {
      const Node* number = port.find("containerPort");
      if (number != nullptr && number->type() == Node::Type::integer
          && !seen.emplace(number->as_int(), true).second) {
        findings.add("port-duplicate",
                     number->position(),
                     fmt::format("containerPort {} is listed twice", number->as_int()),
                     "give each container port its own number");
      }
    }
  }
}

void check_k8s(Findings& findings, const Node& root)
{
  walk(root, [&](std::string_view key, const Node& node) {
    if ((key == "containers" || key == "initContainers") && node.is_array()) {
      for (const Node& container : node.items()) {
        check_container(findings, container);
      }
    }
    if (key == "annotations" && node.is_object()) {
      const Node* port = node.find("prometheus.io/port");
      if (port != nullptr && port->is_string() && port->as_string() != "18802") {
        findings.add("metrics-port",
                     port->position(),
                     fmt::format("prometheus.io/port is {}, but cell0d serves metrics on 18802",
                                 port->as_string()),
                     "set prometheus.io/port: \"18802\"");
      }
    }
  });
}

void check_helm_values(Findings& findings, const Node& root)
{
  for (const std::string_view probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    if (const Node* node = root.find(probe); node != nullptr && node->is_object()) {
      check_probe(findings, *node, nullptr);
    }
  }
  // reference §1.8: `metricsPort: 9090` while cell0d listens on CELL0_METRICS_PORT (18802).
  for (const std::string_view key : {"service.metricsPort", "config.metricsPort"}) {
    const Node* port = at(root, key);
    if (port != nullptr && port->type() == Node::Type::integer && port->as_int() != 18802) {
      findings.add("metrics-port-setting",
                   port->position(),
                   fmt::format("{} is {}, but cell0d serves metrics on 18802{}",
                               key,
                               port->as_int(),
                               port->as_int() == 9090 ? " (9090 is Prometheus's own port)" : ""),
                   fmt::format("set {}: 18802", key));
    }
  }
}

// A compose healthcheck URL on cell0d's port (reference §3.6: the root docker-compose.yml
// checks /api/health) and host ports used twice (§1.9 rule 30).
void check_compose(Findings& findings, const Node& root)
{
  const Node* services = root.find("services");
  if (services == nullptr || !services->is_object()) {
    return;
  }
  std::map<std::string, std::string> host_ports; // "18800" -> service
  for (const auto& service : services->members()) {
    if (const Node* test = at(service.value, "healthcheck.test"); test != nullptr) {
      const auto check_text = [&](const Node& item) {
        if (!item.is_string()) {
          return;
        }
        const std::string& text = item.as_string();
        const std::size_t url = text.find("://");
        if (url == std::string::npos
            || port_of(text.substr(url - std::min<std::size_t>(url, 5))) != k_cell0d_port) {
          return;
        }
        const std::size_t slash = text.find('/', url + 3);
        const std::size_t end = text.find_first_of(" '\"", slash);
        const std::string path = slash == std::string::npos ? "/" : text.substr(slash, end - slash);
        if (!cell0d_serves(path)) {
          add_probe_path(findings, item, slash, path);
        }
      };
      if (test->is_array()) {
        std::ranges::for_each(test->items(), check_text);
      } else {
        check_text(*test);
      }
    }
    const Node* ports = service.value.find("ports");
    if (ports == nullptr || !ports->is_array()) {
      continue;
    }
    for (const Node& port : ports->items()) {
      if (!port.is_string() || port.as_string().find(':') == std::string::npos) {
        continue;
      }
      std::string text = port.as_string();
      text = text.substr(0, text.rfind(':')); // "[ip:]host" of "[ip:]host:container"
      text = text.substr(text.rfind(':') == std::string::npos ? 0 : text.rfind(':') + 1);
      const auto [it, inserted] = host_ports.emplace(text, service.key);
      if (!inserted && text.find('$') == std::string::npos) {
        findings.add(
            "port-duplicate",
            port.position(),
            fmt::format("host port {} is also published by service '{}'", text, it->second),
            "publish each host port from one service only");
      }
    }
  }
}

} // namespace

void check_manifests(std::string_view kind, Findings& findings)
{
  for (const Node& root : findings.input().document.documents) {
    if (!root.is_object()) {
      continue;
    }
    if (kind == "k8s-manifest") {
      check_k8s(findings, root);
    } else if (kind == "helm-values") {
      check_helm_values(findings, root);
    } else if (kind == "docker-compose") {
      check_compose(findings, root);
    }
  }
}

// reference §6 and §1.9 rule 29: Cell 0's scrape targets on 18802, rule files that exist.
void check_prometheus(Findings& findings)
{
  const auto& documents = findings.input().document.documents;
  if (documents.empty() || !documents.front().is_object()) {
    return;
  }
  const Node& root = documents.front();
  if (const Node* files = root.find("rule_files"); files != nullptr && files->is_array()) {
    for (const Node& file : files->items()) {
      if (!file.is_string() || file.as_string().find_first_of("*?[") != std::string::npos) {
        continue;
      }
      const std::filesystem::path rule_file(file.as_string());
      std::error_code ec;
      if (rule_file.is_relative() && !findings.input().path.empty()
          && !std::filesystem::exists(findings.input().path.parent_path() / rule_file, ec)) {
        findings.add("rule-file-missing",
                     file.position(),
                     fmt::format("rule file '{}' does not exist next to {}",
                                 file.as_string(),
                                 findings.input().path.filename().string()),
                     "give the path relative to this file (or where it is mounted), e.g. "
                     "alerting/cell0-alerts.yml");
      }
    }
  }
  const Node* jobs = root.find("scrape_configs");
  if (jobs == nullptr || !jobs->is_array()) {
    return;
  }
  for (const Node& job : jobs->items()) {
    const Node* name = job.find("job_name");
    if (name == nullptr || !name->is_string()
        || lower(name->as_string()).find("cell0") == std::string::npos) {
      continue;
    }
    walk(job, [&](std::string_view key, const Node& node) {
      if (key != "targets" || !node.is_array()) {
        return;
      }
      for (const Node& target : node.items()) {
        const int port = target.is_string() ? port_of(target.as_string()) : 0;
        if (port != 0 && port != 18802) {
          findings.add("metrics-port",
                       findings.where(target, target.as_string().rfind(':') + 1),
                       fmt::format("job '{}' scrapes port {}, but cell0d serves metrics on "
                                   "18802 (CELL0_METRICS_PORT)",
                                   name->as_string(),
                                   port),
                       fmt::format("scrape {}:18802",
                                   target.as_string().substr(0, target.as_string().rfind(':'))));
        }
      }
    });
  }
}

} // namespace cell0ctl::validate::cell0::detail
