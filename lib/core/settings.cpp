// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/settings.hpp"

#include "lib/core/environ.hpp"
#include "lib/core/error.hpp"
#include "lib/util/strings.hpp"
#include "lib/util/units.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace cell0ctl {

namespace {

constexpr std::array<std::string_view, 11> k_top_level_keys{
    "backup",
    "bench",
    "cell0_home",
    "cell0_root",
    "checks",
    "doctor",
    "endpoints",
    "health",
    "repository",
    "s3",
    "timeout",
};

std::string position(const fs::path& source, const YAML::Mark& mark)
{
  return fmt::format("{}:{}:{}", source.string(), mark.line + 1, mark.column + 1);
}

} // namespace

struct SettingsBuilder
{
  Settings& settings;

  void add(const std::string& key, const YAML::Node& node)
  {
    Settings::Entry entry;
    entry.line = node.Mark().line + 1;
    entry.column = node.Mark().column + 1;
    if (node.IsMap()) {
      for (const auto& item : node) {
        const std::string name = item.first.as<std::string>();
        add(key.empty() ? name : key + "." + name, item.second);
      }
      return;
    }
    if (node.IsSequence()) {
      entry.is_sequence = true;
      for (const auto& item : node) {
        if (!item.IsScalar()) {
          throw Error(Errc::config,
                      fmt::format("{}: {}: expected a list of plain values",
                                  position(settings.m_source, item.Mark()),
                                  key),
                      "write each item as a string or number");
        }
        entry.items.push_back(item.as<std::string>());
      }
    } else if (node.IsScalar()) {
      entry.value = node.as<std::string>();
    } else {
      return; // null: as if absent
    }
    settings.m_entries.insert_or_assign(key, std::move(entry));
  }
};

Settings Settings::load(const fs::path& file)
{
  std::ifstream in(file);
  if (!in) {
    throw Error(Errc::config,
                fmt::format("cannot read configuration file {}", file.string()),
                "check the path given by --config or $CELL0CTL_CONFIG");
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), file);
}

Settings Settings::parse(const std::string& yaml, const fs::path& source)
{
  Settings settings;
  settings.m_source = source;
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& e) {
    throw Error(Errc::config,
                fmt::format("{}: invalid YAML: {}", position(source, e.mark), e.msg),
                "fix the syntax at that position");
  }
  if (root.IsNull()) {
    return settings;
  }
  if (!root.IsMap()) {
    throw Error(Errc::config,
                fmt::format("{}: expected a mapping of settings", position(source, root.Mark())),
                "see cell0ctl(1), section CONFIGURATION");
  }
  try {
    for (const auto& item : root) {
      const std::string key = item.first.as<std::string>();
      if (std::find(k_top_level_keys.begin(), k_top_level_keys.end(), key)
          == k_top_level_keys.end()) {
        std::vector<std::string> known(k_top_level_keys.begin(), k_top_level_keys.end());
        throw Error(Errc::config,
                    fmt::format("{}: unknown setting '{}'", position(source, item.first.Mark()), key),
                    fmt::format("known settings are: {}", util::join(known, ", ")));
      }
    }
    SettingsBuilder{settings}.add("", root);
  } catch (const YAML::Exception& e) {
    throw Error(Errc::config,
                fmt::format("{}: {}", position(source, e.mark), e.msg),
                "keys must be plain strings; fix the value at that position");
  }
  return settings;
}

const Settings::Entry* Settings::find(std::string_view key) const
{
  const auto it = m_entries.find(key);
  return it == m_entries.end() ? nullptr : &it->second;
}

void Settings::bad_value(std::string_view key, std::string_view expected) const
{
  const Entry* entry = find(key);
  throw Error(Errc::config,
              fmt::format("{}: {}: expected {}, got '{}'",
                          where(key),
                          key,
                          expected,
                          entry != nullptr ? entry->value : ""),
              "fix the value in the configuration file, or remove it");
}

bool Settings::has(std::string_view key) const
{
  return find(key) != nullptr;
}

std::optional<std::string> Settings::string(std::string_view key) const
{
  const Entry* entry = find(key);
  if (entry == nullptr) {
    return std::nullopt;
  }
  if (entry->is_sequence) {
    bad_value(key, "a single value");
  }
  return entry->value;
}

std::optional<double> Settings::number(std::string_view key) const
{
  const auto text = string(key);
  if (!text) {
    return std::nullopt;
  }
  try {
    std::size_t used = 0;
    const double value = std::stod(*text, &used);
    if (used == text->size()) {
      return value;
    }
  } catch (const std::exception&) {
  }
  bad_value(key, "a number");
}

std::optional<bool> Settings::boolean(std::string_view key) const
{
  const auto text = string(key);
  if (!text) {
    return std::nullopt;
  }
  if (*text == "true") {
    return true;
  }
  if (*text == "false") {
    return false;
  }
  bad_value(key, "true or false");
}

std::optional<std::chrono::milliseconds> Settings::duration(std::string_view key) const
{
  const auto text = string(key);
  if (!text) {
    return std::nullopt;
  }
  if (auto value = util::parse_duration(*text)) {
    return value;
  }
  bad_value(key, "a duration such as 500ms, 2s or 5m");
}

std::optional<std::uint64_t> Settings::size(std::string_view key) const
{
  const auto text = string(key);
  if (!text) {
    return std::nullopt;
  }
  if (auto value = util::parse_size(*text)) {
    return value;
  }
  bad_value(key, "a size such as 512KiB, 10MB or 2GiB");
}

std::vector<std::string> Settings::strings(std::string_view key) const
{
  const Entry* entry = find(key);
  if (entry == nullptr) {
    return {};
  }
  return entry->is_sequence ? entry->items : std::vector<std::string>{entry->value};
}

std::vector<std::string> Settings::children(std::string_view prefix) const
{
  std::vector<std::string> names;
  const std::string start = std::string(prefix) + ".";
  for (auto it = m_entries.lower_bound(start); it != m_entries.end(); ++it) {
    if (it->first.compare(0, start.size(), start) != 0) {
      break;
    }
    // Only the first level below `prefix`: "checks.a.x" and "checks.a.y" give one "a".
    std::string name = it->first.substr(start.size());
    name.erase(std::min(name.find('.'), name.size()));
    if (names.empty() || names.back() != name) {
      names.push_back(std::move(name));
    }
  }
  return names;
}

std::string Settings::where(std::string_view key) const
{
  const Entry* entry = find(key);
  if (entry == nullptr) {
    return m_source.string();
  }
  return fmt::format("{}:{}:{}", m_source.string(), entry->line, entry->column);
}

std::optional<fs::path> find_settings_file(const Environ& environ,
                                           const fs::path& user_home,
                                           const fs::path& root)
{
  if (auto explicit_file = environ.non_empty("CELL0CTL_CONFIG")) {
    if (!fs::exists(*explicit_file)) {
      throw Error(Errc::config,
                  fmt::format("$CELL0CTL_CONFIG names {}, which does not exist", *explicit_file),
                  "create the file, or unset CELL0CTL_CONFIG");
    }
    return fs::path(*explicit_file);
  }
  std::error_code ec;
  if (!user_home.empty()) {
    const fs::path user_file = user_home / ".config/cell0ctl/config.yaml";
    if (fs::exists(user_file, ec)) {
      return user_file;
    }
  }
  const fs::path system_file = root / "etc/cell0/cell0ctl.yaml";
  if (fs::exists(system_file, ec)) {
    return system_file;
  }
  return std::nullopt;
}

} // namespace cell0ctl
