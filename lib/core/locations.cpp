// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/locations.hpp"

#include "lib/core/environ.hpp"
#include "lib/core/error.hpp"
#include "lib/core/json_file.hpp"
#include "lib/core/settings.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <pwd.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl {

std::optional<UrlParts> parse_url(std::string_view url)
{
  UrlParts parts;
  std::string_view rest = util::trim(url);
  if (const std::size_t sep = rest.find("://"); sep != std::string_view::npos) {
    parts.scheme = util::to_lower(rest.substr(0, sep));
    rest.remove_prefix(sep + 3);
  } else {
    parts.scheme = "http";
  }
  if (parts.scheme != "http" && parts.scheme != "https") {
    return std::nullopt;
  }
  const std::size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  parts.path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  if (const std::size_t at = authority.rfind('@'); at != std::string_view::npos) {
    authority.remove_prefix(at + 1);
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return std::nullopt;
    }
    parts.host = std::string(authority.substr(1, close - 1));
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return std::nullopt;
      }
      port_text = after.substr(1);
    }
  } else {
    const std::size_t colon = authority.rfind(':');
    parts.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
    }
  }
  const bool host_ok = !parts.host.empty()
                       && parts.host.find_first_of(" \t\r\n/?#@") == std::string::npos;
  if (!host_ok) {
    return std::nullopt;
  }
  if (port_text.empty()) {
    parts.port = parts.scheme == "https" ? 443 : 80;
  } else {
    unsigned long long port = 0;
    if (!util::parse_uint(port_text, port) || port == 0 || port > 65535) {
      return std::nullopt;
    }
    parts.port = static_cast<int>(port);
  }
  return parts;
}

std::string redact_url(std::string_view url)
{
  const std::size_t scheme = url.find("://");
  const std::size_t start = scheme == std::string_view::npos ? 0 : scheme + 3;
  const std::size_t end = url.find('/', start);
  const std::size_t at = url.substr(0, end).rfind('@');
  if (at == std::string_view::npos || at < start) {
    return std::string(url);
  }
  return std::string(url.substr(0, start)) + "***" + std::string(url.substr(at));
}

namespace {

std::string host_for_url(const std::string& host)
{
  // A wildcard bind address is reached on loopback; IPv6 literals need brackets.
  if (host == "0.0.0.0" || host.empty()) {
    return "127.0.0.1";
  }
  if (host == "::") {
    return "[::1]";
  }
  if (host.find(':') != std::string::npos) {
    return "[" + host + "]";
  }
  return host;
}

Endpoint make_endpoint(const EndpointSpec& spec, const UrlParts& parts, std::string source)
{
  Endpoint endpoint;
  endpoint.name = std::string(spec.name);
  endpoint.host = parts.host == "0.0.0.0" ? "127.0.0.1" : parts.host == "::" ? "::1" : parts.host;
  endpoint.port = parts.port;
  endpoint.url = fmt::format("{}://{}:{}", parts.scheme, host_for_url(parts.host), parts.port);
  endpoint.source = std::move(source);
  return endpoint;
}

std::optional<int> port_from_text(std::string_view text)
{
  unsigned long long port = 0;
  if (!util::parse_uint(util::trim(text), port) || port == 0 || port > 65535) {
    return std::nullopt;
  }
  return static_cast<int>(port);
}

const EndpointSpec* find_spec(std::string_view name)
{
  for (const EndpointSpec& spec : k_endpoint_specs) {
    if (spec.name == name) {
      return &spec;
    }
  }
  return nullptr;
}

std::string endpoint_names()
{
  std::vector<std::string> names;
  for (const EndpointSpec& spec : k_endpoint_specs) {
    names.emplace_back(spec.name);
  }
  return util::join(names, ", ");
}

// Cell 0's own view: its environment variables, then cell0.json, for one endpoint.
std::optional<Endpoint> from_cell0(const EndpointSpec& spec,
                                   const Environ& environ,
                                   const nlohmann::json* cell0_json)
{
  const auto loopback = [&](int port) {
    return UrlParts{"http", "127.0.0.1", port, ""};
  };
  if (!spec.port_variable.empty()) {
    if (auto text = environ.non_empty(spec.port_variable)) {
      if (auto port = port_from_text(*text)) {
        return make_endpoint(spec, loopback(*port), fmt::format("${}", spec.port_variable));
      }
      throw Error(Errc::usage,
                  fmt::format("${}: expected a port number, got '{}'", spec.port_variable, *text),
                  fmt::format("set {} to a port from 1 to 65535, or unset it",
                              spec.port_variable));
    }
  }
  if (spec.name == "ollama") {
    if (auto text = environ.non_empty("OLLAMA_HOST")) {
      // Ollama takes "HOST", "HOST:PORT" or a URL, as `ollama serve` reads it.
      std::string value = *text;
      const bool has_scheme = value.find("://") != std::string::npos;
      const std::string_view authority =
          std::string_view(value).substr(has_scheme ? value.find("://") + 3 : 0);
      const std::string_view host_port = authority.substr(0, authority.find('/'));
      // Without a scheme and port it means port 11434; with a scheme, that scheme's port.
      const bool has_port =
          !host_port.empty() && host_port.front() == '['
              ? host_port.find("]:") != std::string_view::npos
              : host_port.find(':') != std::string_view::npos;
      if (!has_scheme && !has_port) {
        value.insert(host_port.size(), ":11434");
      }
      // A bare IPv6 wildcard, and ":PORT" without a host, mean this machine.
      if (!has_scheme && util::trim(value).rfind("::", 0) == 0 && host_port.find('[') == std::string_view::npos) {
        value = "[::1]:11434";
      } else if (!has_scheme && !value.empty() && value.front() == ':') {
        value.insert(0, "127.0.0.1");
      }
      if (auto parts = parse_url(value)) {
        return make_endpoint(spec, *parts, "$OLLAMA_HOST");
      }
    }
  }
  if (spec.name == "gateway" && cell0_json != nullptr) {
    const auto* port = json_at(*cell0_json, "gateway.port");
    if (port != nullptr && port->is_number_integer()) {
      const auto value = port->get<long long>();
      if (value > 0 && value <= 65535) {
        return make_endpoint(spec, loopback(static_cast<int>(value)), "cell0.json gateway.port");
      }
    }
  }
  return std::nullopt;
}

} // namespace

std::vector<Endpoint> resolve_endpoints(const std::vector<std::string>& overrides,
                                        const Settings& settings,
                                        const Environ& environ,
                                        const nlohmann::json* cell0_json)
{
  std::vector<std::optional<Endpoint>> chosen(k_endpoint_specs.size());
  const auto index_of = [](const EndpointSpec* spec) {
    return static_cast<std::size_t>(spec - k_endpoint_specs.data());
  };

  for (const std::string& item : overrides) {
    const std::size_t eq = item.find('=');
    const EndpointSpec* spec = eq == std::string::npos ? nullptr : find_spec(item.substr(0, eq));
    if (spec == nullptr) {
      throw Error(Errc::usage,
                  fmt::format("--endpoint '{}': expected NAME=URL with a known NAME", item),
                  fmt::format("names are: {}", endpoint_names()));
    }
    const auto parts = parse_url(item.substr(eq + 1));
    if (!parts) {
      throw Error(Errc::usage,
                  fmt::format("--endpoint '{}': not an http(s) URL", item),
                  "write it as NAME=http://HOST:PORT");
    }
    chosen[index_of(spec)] = make_endpoint(*spec, *parts, "--endpoint");
  }

  for (const std::string& name : settings.children("endpoints")) {
    const EndpointSpec* spec = find_spec(name);
    const std::string key = "endpoints." + name;
    if (spec == nullptr) {
      throw Error(Errc::config,
                  fmt::format("{}: unknown endpoint '{}'", settings.where(key), name),
                  fmt::format("names are: {}", endpoint_names()));
    }
    const auto parts = parse_url(settings.string(key).value_or(""));
    if (!parts) {
      throw Error(Errc::config,
                  fmt::format("{}: {}: not an http(s) URL", settings.where(key), key),
                  "write it as http://HOST:PORT");
    }
    auto& slot = chosen[index_of(spec)];
    if (!slot) {
      slot = make_endpoint(*spec, *parts, settings.where(key));
    }
  }

  std::vector<Endpoint> endpoints;
  for (std::size_t i = 0; i < k_endpoint_specs.size(); ++i) {
    const EndpointSpec& spec = k_endpoint_specs[i];
    if (!chosen[i]) {
      chosen[i] = from_cell0(spec, environ, cell0_json);
    }
    if (!chosen[i]) {
      chosen[i] = make_endpoint(spec, UrlParts{"http", "127.0.0.1", spec.default_port, ""},
                                "default");
    }
    endpoints.push_back(std::move(*chosen[i]));
  }
  return endpoints;
}

const Endpoint& find_endpoint(const std::vector<Endpoint>& endpoints, std::string_view name)
{
  for (const Endpoint& endpoint : endpoints) {
    if (endpoint.name == name) {
      return endpoint;
    }
  }
  throw std::out_of_range(fmt::format("no endpoint named {}", name));
}

Sourced<fs::path> resolve_home(const std::optional<fs::path>& flag,
                               const Settings& settings,
                               const Environ& environ,
                               const fs::path& user_home)
{
  if (flag) {
    return {*flag, "--cell0-home"};
  }
  if (auto value = settings.string("cell0_home")) {
    return {fs::path(*value), settings.where("cell0_home")};
  }
  if (auto value = environ.non_empty("CELL0_STATE_DIR")) {
    return {fs::path(*value), "$CELL0_STATE_DIR"};
  }
  return {user_home / ".cell0", "$HOME/.cell0"};
}

fs::path user_home_directory(const Environ& environ)
{
  if (auto home = environ.non_empty("HOME")) {
    return *home;
  }
  if (const passwd* entry = ::getpwuid(::getuid()); entry != nullptr && entry->pw_dir != nullptr) {
    return entry->pw_dir;
  }
  return {};
}

} // namespace cell0ctl
