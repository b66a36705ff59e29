// SPDX-License-Identifier: GPL-3.0-or-later
// Alert rules on the metrics Cell 0 really has (reference/cell0-os.md §3.4 and §6).

#include "lib/validate/rules_support.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>

namespace cell0ctl::validate::cell0::detail {
using config::Node;

namespace {

// Every cell0_* metric defined anywhere in Cell 0 (§6: cell0/engine/monitoring/metrics.py and
// Cell0Metrics of cell0/cell0/engine/monitoring/metrics.py), as exposed (Info `cell0` is
// `cell0_info`).
constexpr std::array k_defined = {"cell0_agent_messages_total",
                                  "cell0_agent_operations_total",
                                  "cell0_agent_session_duration_seconds",
                                  "cell0_agents_active",
                                  "cell0_agents_total",
                                  "cell0_api_rate_limit_hits_total",
                                  "cell0_api_request_duration_seconds",
                                  "cell0_api_request_size_bytes",
                                  "cell0_api_requests_total",
                                  "cell0_api_response_size_bytes",
                                  "cell0_auth_attempts_total",
                                  "cell0_build_info",
                                  "cell0_col_event_latency_seconds",
                                  "cell0_col_events_total",
                                  "cell0_col_resonance_score",
                                  "cell0_col_sypas_events_queued",
                                  "cell0_col_sypas_queue_size",
                                  "cell0_cpu_usage_percent",
                                  "cell0_disk_free_bytes",
                                  "cell0_disk_usage_bytes",
                                  "cell0_disk_usage_percent",
                                  "cell0_inference_latency_seconds",
                                  "cell0_inference_queue_size",
                                  "cell0_inference_requests_total",
                                  "cell0_inference_tokens_total",
                                  "cell0_info",
                                  "cell0_memory_usage_bytes",
                                  "cell0_memory_usage_percent",
                                  "cell0_model_load_duration_seconds",
                                  "cell0_model_memory_bytes",
                                  "cell0_ollama_connection_status",
                                  "cell0_ollama_latency_seconds",
                                  "cell0_ollama_requests_total",
                                  "cell0_ollama_up",
                                  "cell0_search_requests_total",
                                  "cell0_security_events_total",
                                  "cell0_signal_connection_status",
                                  "cell0_signal_latency_seconds",
                                  "cell0_signal_messages_total",
                                  "cell0_tool_executions_total",
                                  "cell0_tpv_coherence_score",
                                  "cell0_tpv_entries_total",
                                  "cell0_tpv_update_latency_seconds",
                                  "cell0_uptime_seconds",
                                  "cell0_websocket_connections_active",
                                  "cell0_websocket_connections_total",
                                  "cell0_websocket_errors_total",
                                  "cell0_websocket_message_size_bytes",
                                  "cell0_websocket_messages_total"};

// Histograms: only <name>_bucket, _sum and _count exist (§6: "the metric is a histogram").
constexpr std::array k_histograms = {"cell0_agent_session_duration_seconds",
                                     "cell0_api_request_duration_seconds",
                                     "cell0_api_request_size_bytes",
                                     "cell0_api_response_size_bytes",
                                     "cell0_col_event_latency_seconds",
                                     "cell0_inference_latency_seconds",
                                     "cell0_model_load_duration_seconds",
                                     "cell0_ollama_latency_seconds",
                                     "cell0_signal_latency_seconds",
                                     "cell0_tpv_update_latency_seconds",
                                     "cell0_websocket_message_size_bytes"};

// prometheus_client Enums: the state is in a label named after the metric, not `state` (§6).
constexpr std::array k_enums = {"cell0_ollama_connection_status", "cell0_signal_connection_status"};

template <typename List> bool contains(const List& list, std::string_view name)
{
  return std::ranges::find(list, name) != list.end();
}

// `name` without a _bucket/_sum/_count/_created suffix when the base is defined.
std::string_view base_name(std::string_view name)
{
  for (const std::string_view suffix : {"_bucket", "_sum", "_count", "_created"}) {
    if (name.ends_with(suffix)
        && contains(k_defined, name.substr(0, name.size() - suffix.size()))) {
      return name.substr(0, name.size() - suffix.size());
    }
  }
  return name;
}

void check_metric(Findings& findings, const Node& expr, const std::string& name, std::size_t offset)
{
  const std::string& text = expr.as_string();
  const std::string_view base = base_name(name);
  const auto where = findings.where(expr, offset);
  if (!contains(k_defined, base)) {
    findings.add(
        "alert-unknown-metric",
        where,
        fmt::format("metric {} is defined nowhere in Cell 0: the rule can never fire", name),
        "use a metric Cell 0 defines (see reference §6), e.g. cell0_memory_usage_percent");
    return;
  }
  if (base == name && contains(k_histograms, name)) {
    findings.add(
        "alert-histogram-name",
        where,
        fmt::format("{} is a histogram: only {}_bucket, _sum and _count exist", name, name),
        fmt::format("compare histogram_quantile(0.99, rate({}_bucket[5m])) instead", name));
    return;
  }
  const std::size_t after = offset + name.size();
  if (contains(k_enums, name) && text.compare(after, 7, "{state=") == 0) {
    findings.add(
        "alert-enum-label",
        findings.where(expr, after + 1),
        fmt::format("{} is a prometheus_client Enum: its label is '{}', not 'state'", name, name),
        fmt::format("write {}{{{}=\"connected\"}}", name, name));
    return;
  }
  findings.add("alert-metric-not-exported",
               where,
               fmt::format("{} is not served: cell0d exposes only process_* and python_* "
                           "metrics on :18802",
                           name),
               "expect no data until cell0d registers its cell0_* metrics (setup_metrics() is "
               "never called); alert on `up` meanwhile");
}

void check_rule_list(Findings& findings, const Node& rule_list)
{
  if (!rule_list.is_array()) {
    return;
  }
  for (const Node& rule : rule_list.items()) {
    const Node* expr = rule.find("expr");
    if (expr == nullptr || !expr->is_string()) {
      continue;
    }
    for (const auto& [name, offset] : promql_metrics(expr->as_string())) {
      if (name.starts_with("cell0_")) {
        check_metric(findings, *expr, name, offset);
      }
    }
  }
}

} // namespace

void check_alert_rules(std::string_view kind, Findings& findings)
{
  for (const Node& root : findings.input().document.documents) {
    if (kind == "alert-rules") {
      if (const Node* groups = root.find("groups"); groups != nullptr && groups->is_array()) {
        for (const Node& group : groups->items()) {
          if (const Node* list = group.find("rules"); list != nullptr) {
            check_rule_list(findings, *list);
          }
        }
      }
    } else if (kind == "helm-values") {
      if (const Node* list = at(root, "prometheusRule.rules"); list != nullptr) {
        check_rule_list(findings, *list);
      }
    }
  }
}

} // namespace cell0ctl::validate::cell0::detail
