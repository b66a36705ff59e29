// SPDX-License-Identifier: GPL-3.0-or-later
// config.auth and config.bind: what the gateway's `gateway` section of cell0.json really does.
// The gateway validates only port, bind and auth.mode; an empty token authenticates everyone,
// and three of its five bind modes silently mean loopback.
#include "checks/common.hpp"

#include <fmt/format.h>

namespace cell0ctl::checks {

namespace {

std::string config_path(Context& context)
{
  return context.home("cell0.json").string();
}

Finding run_auth(Context& context)
{
  const nlohmann::json* config = cell0_config(context);
  if (config == nullptr) {
    return skip("cell0.json absent or malformed (see config.parse)");
  }
  const std::string bind = json_string(*config, "gateway.bind").value_or("loopback");
  const bool exposed = bind == "lan";
  const nlohmann::json* mode_node = json_at(*config, "gateway.auth.mode");
  const std::string set_token = fmt::format(
      "set \"gateway\": {{\"auth\": {{\"mode\": \"token\", \"token\": \"$(openssl rand -hex 32)\"}}}} "
      "in {} and restart the gateway",
      config_path(context));
  if (mode_node == nullptr) {
    if (exposed) {
      return fail("AUTH_NONE_ON_LAN",
                  "the gateway listens on the LAN (bind \"lan\") with no authentication",
                  set_token);
    }
    return warn("AUTH_ABSENT",
                "the gateway has no authentication (no gateway.auth in cell0.json): every local "
                "process can drive the agent",
                set_token);
  }
  if (!mode_node->is_string()) {
    return fail("AUTH_MODE_INVALID", "gateway.auth.mode is not a string", set_token);
  }
  const std::string mode = mode_node->get<std::string>();
  if (mode == "none") {
    if (exposed) {
      return fail("AUTH_NONE_ON_LAN",
                  "gateway.auth.mode is \"none\" while the gateway listens on the LAN",
                  set_token);
    }
    return warn("AUTH_NONE",
                "gateway.auth.mode is \"none\": every local process can drive the agent",
                set_token);
  }
  if (mode != "token" && mode != "password") {
    return fail("AUTH_MODE_INVALID",
                fmt::format("gateway.auth.mode \"{}\" is not token, password or none", mode),
                set_token);
  }
  const auto secret = json_string(*config, "gateway.auth." + mode);
  if (!secret || secret->empty()) {
    return fail("AUTH_EMPTY_SECRET",
                fmt::format("gateway.auth.mode is \"{0}\" but gateway.auth.{0} is empty: the "
                            "gateway then authenticates every client",
                            mode),
                set_token);
  }
  return ok(fmt::format("{} authentication ({} {}), bind {}",
                        mode,
                        mode,
                        context.secret(*secret),
                        bind));
}

Finding run_bind(Context& context)
{
  const nlohmann::json* config = cell0_config(context);
  if (config == nullptr) {
    return skip("cell0.json absent or malformed (see config.parse)");
  }
  const nlohmann::json* port = json_at(*config, "gateway.port");
  if (port != nullptr
      && (!port->is_number_integer() || port->get<long long>() < 1
          || port->get<long long>() > 65535)) {
    return fail("GATEWAY_PORT_INVALID",
                fmt::format("gateway.port {} is not a port number (1-65535)", port->dump()),
                fmt::format("set gateway.port to 18789 in {}", config_path(context)));
  }
  const nlohmann::json* bind_node = json_at(*config, "gateway.bind");
  if (bind_node == nullptr) {
    return ok("bind loopback (default): the gateway listens on 127.0.0.1");
  }
  const std::string bind = bind_node->is_string() ? bind_node->get<std::string>() : bind_node->dump();
  const std::string use_loopback =
      fmt::format("set gateway.bind to \"loopback\" (or \"lan\" for 0.0.0.0) in {}",
                  config_path(context));
  if (bind == "loopback" || bind == "lan") {
    if (json_at(*config, "gateway.customBindHost") != nullptr) {
      return warn("CUSTOM_BIND_HOST_IGNORED",
                  "gateway.customBindHost is set but the gateway ignores it",
                  fmt::format("remove gateway.customBindHost from {}", config_path(context)));
    }
    return ok(fmt::format("bind {}: the gateway listens on {}",
                          bind,
                          bind == "lan" ? "0.0.0.0" : "127.0.0.1"));
  }
  if (bind == "auto" || bind == "custom" || bind == "tailnet") {
    return warn("BIND_UNIMPLEMENTED",
                fmt::format("gateway.bind \"{}\" is not implemented: the gateway silently listens "
                            "on 127.0.0.1",
                            bind),
                use_loopback);
  }
  return fail("BIND_INVALID",
              fmt::format("gateway.bind {} is not one of loopback, lan, auto, custom, tailnet: "
                          "the gateway refuses this configuration",
                          bind_node->dump()),
              use_loopback);
}

} // namespace

extern const Check config_auth{
    .id = "config.auth",
    .title = "The gateway requires authentication",
    .tags = tag_doctor,
    .depends_on = {"config.parse"},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_files,
    .run = run_auth,
};

extern const Check config_bind{
    .id = "config.bind",
    .title = "The gateway's port and bind mode are valid and implemented",
    .tags = tag_doctor,
    .depends_on = {"config.parse"},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_files,
    .run = run_bind,
};

} // namespace cell0ctl::checks
