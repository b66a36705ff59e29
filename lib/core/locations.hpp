// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl {

class Environ;
class Settings;

// A resolved value and where it came from ("--endpoint", "$CELL0_PORT", "default", ...),
// which `-v` prints so that the operator never has to guess.
template <class T>
struct Sourced
{
  T value;
  std::string source;
};

// One of Cell 0's network services as cell0ctl knows it.
struct EndpointSpec
{
  std::string_view name;        // "cell0d"
  std::string_view description; // "cell0d HTTP API"
  int default_port;
  std::string_view port_variable; // Cell 0's own environment variable for the port, or ""
};

inline constexpr std::array<EndpointSpec, 7> k_endpoint_specs{{
    {"gateway", "Node gateway (HTTP+WS)", 18789, "CELL0_GATEWAY_PORT"},
    {"portal", "control portal", 18790, ""},
    {"cell0d", "cell0d HTTP API", 18800, "CELL0_PORT"},
    {"websocket", "cell0d legacy JSON-RPC WebSocket", 18801, "CELL0_WS_PORT"},
    {"metrics", "cell0d Prometheus exporter", 18802, "CELL0_METRICS_PORT"},
    {"ollama", "Ollama", 11434, ""},
    {"signal", "signal-cli REST API", 8080, ""},
}};

struct Endpoint
{
  std::string name;
  std::string url; // scheme://host:port, no trailing slash
  std::string source;
  std::string host;
  int port = 0;
};

// The parts of an http(s) URL cell0ctl needs.
struct UrlParts
{
  std::string scheme;
  std::string host;
  int port = 0;
  std::string path;
};

// Parses `url`, adding `http://` when there is no scheme and the default port of the scheme
// when there is no port; nothing when it is not an http(s) URL with a host.
std::optional<UrlParts> parse_url(std::string_view url);

// Returns `url` with any user:password@ part replaced by `***@`.
std::string redact_url(std::string_view url);

// Resolves every endpoint of k_endpoint_specs in the order DESIGN.md gives: `overrides`
// ("NAME=URL", from --endpoint), cell0ctl's settings (`endpoints.NAME`), Cell 0's environment
// (CELL0_PORT, ..., OLLAMA_HOST) and config (`gateway.port` of cell0.json), then defaults.
// Throws Error(Errc::usage) for a bad override, Error(Errc::config) for a bad setting.
std::vector<Endpoint> resolve_endpoints(const std::vector<std::string>& overrides,
                                        const Settings& settings,
                                        const Environ& environ,
                                        const nlohmann::json* cell0_json);

// Returns the endpoint named `name` of `endpoints`; throws std::out_of_range when absent.
const Endpoint& find_endpoint(const std::vector<Endpoint>& endpoints, std::string_view name);

// The Cell 0 home: `flag` (--cell0-home), `cell0_home` of the settings, $CELL0_STATE_DIR,
// then `<user_home>/.cell0`.
Sourced<std::filesystem::path> resolve_home(const std::optional<std::filesystem::path>& flag,
                                            const Settings& settings,
                                            const Environ& environ,
                                            const std::filesystem::path& user_home);

// The user's home directory: $HOME, else the password database.
std::filesystem::path user_home_directory(const Environ& environ);

} // namespace cell0ctl
