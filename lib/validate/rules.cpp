// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/validate/rules.hpp"

#include "lib/validate/rules_support.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <fstream>

namespace cell0ctl::validate::cell0 {
using config::Node;
using config::Position;

const std::vector<RuleInfo>& rules()
{
  static const std::vector<RuleInfo> k_rules = {
      {"alert-enum-label", Severity::error, "a {state=...} matcher on a prometheus_client Enum"},
      {"alert-histogram-name", Severity::error, "a histogram used without _bucket/_sum/_count"},
      {"alert-metric-not-exported", Severity::warning, "a cell0_* metric cell0d does not serve"},
      {"alert-unknown-metric", Severity::error, "a cell0_* metric Cell 0 never defines"},
      {"empty-auth-secret", Severity::error, "token or password auth with an empty secret"},
      {"inherits-cycle", Severity::error, "a tool profile inheritance chain that loops"},
      {"inherits-missing",
       Severity::error,
       "a tool profile inherits a profile that does not exist"},
      {"metrics-port", Severity::error, "a Prometheus target for Cell 0 not on port 18802"},
      {"metrics-port-setting", Severity::warning, "a metrics port setting other than 18802"},
      {"placeholder-secret", Severity::warning, "a sample value where a real secret belongs"},
      {"port-conflict", Severity::warning, "a port another Cell 0 component already uses"},
      {"port-duplicate", Severity::error, "two services of one file on the same port"},
      {"probe-path", Severity::error, "a health check path cell0d does not serve"},
      {"production-auth", Severity::error, "production without authentication"},
      {"production-debug", Severity::error, "production with debug or dangerous tools on"},
      {"production-swagger", Severity::error, "production with the Swagger UI on"},
      {"risk-level-crash", Severity::warning, "the engine's profile loader crashes on risk_level"},
      {"rule-file-missing", Severity::error, "a Prometheus rule file that does not exist"},
      {"undefined-group", Severity::error, "a group policy for a group `groups` does not define"},
      {"ungrouped-tool", Severity::warning, "a tool policy for a tool in no group"},
      {"unknown-profile",
       Severity::error,
       "default_profile names no profile of tool_profiles.yaml"},
      {"unread-variable", Severity::warning, "an environment variable nothing in Cell 0 reads"},
      {"unresolved-variable", Severity::error, "a ${VAR} placeholder nothing expands"},
  };
  return k_rules;
}

std::vector<Finding> check_rules(std::string_view kind, const RuleInput& input)
{
  detail::Findings findings(input);
  detail::check_common(kind, findings);
  if (kind == "cell0.json") {
    detail::check_gateway(findings);
  } else if (kind == "app-config") {
    detail::check_app_config(findings);
  } else if (kind == "tool-profiles") {
    detail::check_tool_profiles(findings);
  } else if (kind == "prometheus") {
    detail::check_prometheus(findings);
  }
  detail::check_integrations(kind, findings);
  detail::check_manifests(kind, findings);
  detail::check_alert_rules(kind, findings);
  return findings.take();
}

std::vector<std::pair<std::string, std::size_t>> promql_metrics(std::string_view expr)
{
  static constexpr std::array k_keywords = {
      "by",    "without", "on",  "ignoring", "group_left", "group_right", "offset",
      "bool",  "and",     "or",  "unless",   "inf",        "nan",         "atan2",
      "start", "end",     "sum", "avg",      "min",        "max"};
  std::vector<std::pair<std::string, std::size_t>> metrics;
  const auto is_start = [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  };
  const auto is_part = [&](char c) {
    return is_start(c) || std::isdigit(static_cast<unsigned char>(c));
  };
  int braces = 0;
  int brackets = 0;
  bool after_grouping = false; // inside by (...) / without (...)
  for (std::size_t i = 0; i < expr.size();) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') { // a string: skip to its end
      std::size_t j = i + 1;
      while (j < expr.size() && expr[j] != c) {
        j += expr[j] == '\\' ? 2 : 1;
      }
      i = j + 1;
      continue;
    }
    if (c == '#') { // a comment
      while (i < expr.size() && expr[i] != '\n') {
        ++i;
      }
      continue;
    }
    braces += c == '{' ? 1 : c == '}' ? -1 : 0;
    brackets += c == '[' ? 1 : c == ']' ? -1 : 0;
    if (c == ')') {
      after_grouping = false;
    }
    if (!is_start(c) || (i > 0 && (is_part(expr[i - 1]) || expr[i - 1] == '.'))) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < expr.size() && is_part(expr[end])) {
      ++end;
    }
    const std::string word(expr.substr(i, end - i));
    std::size_t next = end;
    while (next < expr.size() && std::isspace(static_cast<unsigned char>(expr[next]))) {
      ++next;
    }
    const bool call = next < expr.size() && expr[next] == '(';
    const bool keyword = std::ranges::find(k_keywords, word) != k_keywords.end();
    if ((word == "by" || word == "without" || word == "on" || word == "ignoring"
         || word == "group_left" || word == "group_right")
        && call) {
      after_grouping = true;
    } else if (!call && !keyword && braces == 0 && brackets == 0 && !after_grouping) {
      metrics.emplace_back(word, i);
    }
    i = end;
  }
  return metrics;
}

namespace detail {

void Findings::add(std::string_view id, Position position, std::string message, std::string hint)
{
  const auto& all = rules();
  const auto rule = std::ranges::find(all, id, &RuleInfo::id);
  m_findings.push_back(Finding{
      .file = m_input.file,
      .line = position.line,
      .column = position.column,
      .severity = rule == all.end() ? Severity::error : rule->severity,
      .message = std::move(message),
      .rule_id = std::string(id),
      .hint = std::move(hint),
  });
}

namespace {

int code_points(std::string_view text)
{
  return static_cast<int>(std::ranges::count_if(
      text, [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

} // namespace

Position Findings::where(const Node& node, std::size_t offset)
{
  const Position start = node.position();
  if (!node.is_string() || !start.known() || offset > node.as_string().size()
      || node.as_string().find('\n') == std::string::npos) {
    return position_at(node, offset);
  }
  if (m_lines.empty() && !m_input.path.empty()) {
    std::ifstream in(m_input.path);
    for (std::string line; std::getline(in, line);) {
      m_lines.push_back(line);
    }
  }
  const std::string& text = node.as_string();
  const std::size_t line_start = offset == 0 ? 0 : text.rfind('\n', offset - 1) + 1;
  const std::size_t line_end = text.find('\n', line_start);
  const std::string content = text.substr(line_start, line_end - line_start);
  const int index = static_cast<int>(
      std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(line_start), '\n'));
  // The indicator `|` is on the key's line, the content below it.
  for (const int line : {start.line + 1 + index, start.line + index}) {
    if (content.empty() || line < 1 || line > static_cast<int>(m_lines.size())) {
      continue;
    }
    const std::string& source = m_lines[static_cast<std::size_t>(line - 1)];
    if (const std::size_t found = source.find(content); found != std::string::npos) {
      return {line,
              code_points(source.substr(0, found))
                  + code_points(text.substr(line_start, offset - line_start)) + 1};
    }
  }
  return start;
}

Position position_at(const Node& node, std::size_t offset)
{
  const Position start = node.position();
  if (!node.is_string() || !start.known()) {
    return start;
  }
  const std::string& text = node.as_string();
  if (text.find('\n') != std::string::npos || offset > text.size()) {
    return start; // a block scalar: where its lines start is not recorded
  }
  int column = start.column + (node.quoted() ? 1 : 0);
  for (std::size_t i = 0; i < offset; ++i) {
    // Columns count code points: skip UTF-8 continuation bytes.
    column += (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80 ? 0 : 1;
  }
  return {start.line, column};
}

void walk(const Node& root, const std::function<void(std::string_view, const Node&)>& visit)
{
  const std::function<void(std::string_view, const Node&)> recurse = [&](std::string_view key,
                                                                         const Node& node) {
    visit(key, node);
    if (node.is_object()) {
      for (const auto& member : node.members()) {
        recurse(member.key, member.value);
      }
    } else if (node.is_array()) {
      for (const Node& item : node.items()) {
        recurse("", item);
      }
    }
  };
  recurse("", root);
}

const Node* at(const Node& root, std::string_view path)
{
  const Node* node = &root;
  while (node != nullptr && !path.empty()) {
    const std::size_t dot = path.find('.');
    node = node->find(path.substr(0, dot));
    path = dot == std::string_view::npos ? std::string_view() : path.substr(dot + 1);
  }
  return node;
}

std::string lower(std::string_view text)
{
  std::string out(text);
  std::ranges::transform(out, out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

int port_of(std::string_view address)
{
  if (const std::size_t scheme = address.find("://"); scheme != std::string_view::npos) {
    address.remove_prefix(scheme + 3);
  }
  address = address.substr(0, address.find('/'));
  const std::size_t colon = address.rfind(':');
  if (colon == std::string_view::npos || colon + 1 >= address.size()) {
    return 0;
  }
  int port = 0;
  for (const char c : address.substr(colon + 1)) {
    if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535) {
      return 0;
    }
    port = port * 10 + (c - '0');
  }
  return port;
}

namespace {

void add_members(const Node* object, std::vector<EnvSetting>& out)
{
  if (object == nullptr || !object->is_object()) {
    return;
  }
  for (const auto& member : object->members()) {
    out.push_back({member.key, member.key_position, &member.value, {}});
  }
}

// `env:` lists of containers ({name, value}) and compose `environment:` lists ("NAME=value").
void add_list(const Node& list, std::vector<EnvSetting>& out)
{
  for (const Node& item : list.items()) {
    if (const Node* name = item.find("name"); name != nullptr && name->is_string()) {
      out.push_back({name->as_string(), name->position(), item.find("value"), {}});
    } else if (item.is_string()) {
      const std::string& text = item.as_string();
      const std::size_t equals = text.find('=');
      out.push_back({text.substr(0, equals),
                     position_at(item, 0),
                     nullptr,
                     equals == std::string::npos ? std::string() : text.substr(equals + 1)});
    }
  }
}

} // namespace

std::vector<EnvSetting> env_settings(std::string_view kind, const config::Document& document)
{
  std::vector<EnvSetting> out;
  for (const Node& root : document.documents) {
    if (kind == "dotenv") {
      add_members(&root, out);
    } else if (kind == "helm-values") {
      add_members(root.find("secrets"), out);
    } else if (kind == "k8s-manifest") {
      const Node* type = root.find("kind");
      if (type != nullptr && type->is_string()
          && (type->as_string() == "ConfigMap" || type->as_string() == "Secret")) {
        add_members(root.find("data"), out);
        add_members(root.find("stringData"), out);
      }
    }
    if (kind == "k8s-manifest" || kind == "docker-compose" || kind == "helm-values") {
      walk(root, [&](std::string_view key, const Node& node) {
        if ((key == "env" || key == "environment" || key == "extraEnv") && node.is_array()) {
          add_list(node, out);
        } else if (key == "environment" && node.is_object()) {
          add_members(&node, out);
        }
      });
    }
  }
  return out;
}

} // namespace detail
} // namespace cell0ctl::validate::cell0
