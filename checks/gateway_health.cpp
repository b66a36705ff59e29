// SPDX-License-Identifier: GPL-3.0-or-later
// gateway.health: the gateway's /api/health, read for what it hides. It always says
// "healthy"; components.python_bridge tells whether it still has its cell0d.
#include "checks/common.hpp"

#include <fmt/format.h>

namespace cell0ctl::checks {

namespace {

Finding run(Context& context)
{
  const Endpoint& endpoint = context.endpoint("gateway");
  const std::string url = endpoint.url + "/api/health";
  const HttpResponse response = context.get("gateway", "/api/health");
  if (!response.answered()) {
    std::error_code ec;
    const bool expected = endpoint.source != "default" || !gateway_processes(context).empty()
                          || std::filesystem::exists(context.host_path(context.home("cell0.json")), ec);
    if (!expected) {
      return skip("the Node gateway is neither configured nor running");
    }
    return unreachable("GATEWAY",
                       "the gateway",
                       url,
                       response,
                       "start it: systemctl --user start cell0-gateway (or `cell0 gateway`); "
                       "within 30 s of its start it does not listen yet");
  }
  if (response.status != 200) {
    return fail("GATEWAY_HTTP_STATUS",
                fmt::format("{} answered HTTP {}", url, response.status),
                "restart the gateway: systemctl --user restart cell0-gateway");
  }
  const auto body = json_body(response);
  const nlohmann::json* bridge = body ? json_at(*body, "components.python_bridge") : nullptr;
  if (bridge == nullptr || !bridge->is_string()) {
    return fail("GATEWAY_BAD_ANSWER",
                fmt::format("{} did not answer with Cell 0's health JSON", url),
                fmt::format("check that {} is Cell 0's gateway (curl {})", endpoint.url, url));
  }
  const std::string state = bridge->get<std::string>();
  Finding finding;
  if (state == "ok") {
    finding = ok(fmt::format("gateway {} answers, python bridge ok",
                             body->value("version", std::string("?"))));
  } else {
    // "degraded" means the bridge owns no live child; cell0d may still serve, started by hand.
    const HttpResponse daemon = context.get("cell0d", "/health");
    if (daemon.answered() && daemon.status == 200) {
      finding = warn("GATEWAY_BRIDGE_DETACHED",
                     fmt::format("the gateway says \"healthy\" but python_bridge is \"{}\" while "
                                 "cell0d answers at {}: the gateway does not use it (its own "
                                 "cell0d could not bind)",
                                 state,
                                 context.endpoint("cell0d").url),
                     "stop the hand-started cell0d and restart the gateway (see process.cell0d)");
    } else {
      finding = fail("GATEWAY_BRIDGE_DEGRADED",
                     fmt::format("the gateway says \"healthy\" but python_bridge is \"{}\": it "
                                 "has lost cell0d, and chat requests fail",
                                 state),
                     "see process.cell0d for why cell0d is down, then restart the gateway: "
                     "systemctl --user restart cell0-gateway");
    }
  }
  finding.measurements.push_back(latency(response));
  return finding;
}

} // namespace

extern const Check gateway_health{
    .id = "gateway.health",
    .title = "The gateway answers and its Python bridge is up",
    .tags = tag_doctor | tag_health | tag_readiness,
    .depends_on = {"process.gateway"},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_loopback | touch_remote,
    .run = run,
};

} // namespace cell0ctl::checks
