// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Helpers shared by the rule files (rules*.cpp); not an interface of the library.

#include "lib/validate/rules.hpp"

#include <functional>

namespace cell0ctl::validate::cell0::detail {

// Collects findings of one file.
class Findings
{
public:
  explicit Findings(const RuleInput& input) : m_input(input) {}

  // Adds a finding of rule `id` (severity from rules()) at `position`.
  void add(std::string_view id, config::Position position, std::string message, std::string hint);

  // Where the character at `offset` of the string `node` is: position_at(), and for a
  // block scalar (`expr: |`) the line and column found in the file's text.
  config::Position where(const config::Node& node, std::size_t offset);

  const RuleInput& input() const { return m_input; }
  std::vector<Finding> take() { return std::move(m_findings); }

private:
  const RuleInput& m_input;
  std::vector<Finding> m_findings;
  std::vector<std::string> m_lines; // of the file, read on first need
};

// Where the character at `offset` of the string `node` is, when that can be known (a
// one-line scalar); else where the node starts.
config::Position position_at(const config::Node& node, std::size_t offset);

// Calls `visit(key, node)` for every node below `root` in document order; `key` is the member
// name holding the node ("" for array items and the root).
void walk(const config::Node& root,
          const std::function<void(std::string_view key, const config::Node& node)>& visit);

// The node at the dotted `path` ("security.require_auth") below `root`, or nullptr.
const config::Node* at(const config::Node& root, std::string_view path);

std::string lower(std::string_view text);

// The port of a URL or "host:port" text, or 0 when none is written.
int port_of(std::string_view address);

// Environment variable settings of a document: (name, key position, value node or nullptr).
struct EnvSetting
{
  std::string name;
  config::Position position;
  const config::Node* value = nullptr;
  std::string text; // the value, for "NAME=value" list items
};
std::vector<EnvSetting> env_settings(std::string_view kind, const config::Document& document);

// Rule groups, one per file of rules_*.cpp.
void check_common(std::string_view kind, Findings& findings);
void check_gateway(Findings& findings);
void check_app_config(Findings& findings);
void check_tool_profiles(Findings& findings);
void check_integrations(std::string_view kind, Findings& findings);
void check_manifests(std::string_view kind, Findings& findings);
void check_prometheus(Findings& findings);
void check_alert_rules(std::string_view kind, Findings& findings);

} // namespace cell0ctl::validate::cell0::detail
