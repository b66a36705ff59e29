// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl {

class Environ;

// cell0ctl's own configuration (YAML), flattened at load into dotted key paths
// ("endpoints.cell0d", "checks.resources.cpu.min") so that lookups are cheap, thread-safe and
// can say where each value was written. Every accessor that finds a value of the wrong type
// throws Error(Errc::config) naming `file:line:col`, the key and the bad value.
class Settings
{
public:
  Settings() = default;

  // Reads and parses `file`. Throws Error(Errc::config) when it cannot be read, is not YAML,
  // is not a mapping, or uses a top-level key cell0ctl does not know.
  static Settings load(const std::filesystem::path& file);

  // Parses `yaml` as if read from `source`; same errors as load().
  static Settings parse(const std::string& yaml, const std::filesystem::path& source);

  // The file the settings came from; empty for defaults.
  const std::filesystem::path& source() const { return m_source; }

  bool has(std::string_view key) const;
  std::optional<std::string> string(std::string_view key) const;
  std::optional<double> number(std::string_view key) const;
  std::optional<bool> boolean(std::string_view key) const;
  std::optional<std::chrono::milliseconds> duration(std::string_view key) const;
  std::optional<std::uint64_t> size(std::string_view key) const;

  // A sequence of scalars, or a single scalar as a one-element list; empty when absent.
  std::vector<std::string> strings(std::string_view key) const;

  // The keys directly below `prefix` ("endpoints" gives "cell0d", "ollama", ...), up to their
  // first dot (keys are flattened with dots, so a key with a dot of its own is cut there).
  std::vector<std::string> children(std::string_view prefix) const;

  // "file:line:col" of `key`, or the file alone when the key is absent.
  std::string where(std::string_view key) const;

private:
  struct Entry
  {
    std::string value;              // a scalar
    std::vector<std::string> items; // a sequence of scalars
    bool is_sequence = false;
    int line = 0;
    int column = 0;
  };

  const Entry* find(std::string_view key) const;
  [[noreturn]] void bad_value(std::string_view key, std::string_view expected) const;

  std::filesystem::path m_source;
  std::map<std::string, Entry, std::less<>> m_entries;

  friend struct SettingsBuilder;
};

// Finds cell0ctl's configuration file: `$CELL0CTL_CONFIG` (which must exist), then
// `<user_home>/.config/cell0ctl/config.yaml`, then `/etc/cell0/cell0ctl.yaml` below `root`.
// Throws Error(Errc::config) when `$CELL0CTL_CONFIG` names a missing file.
std::optional<std::filesystem::path> find_settings_file(const Environ& environ,
                                                        const std::filesystem::path& user_home,
                                                        const std::filesystem::path& root);

} // namespace cell0ctl
