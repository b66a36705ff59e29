// SPDX-License-Identifier: GPL-3.0-or-later
// signal.health: signal-cli-rest-api's /v1/health. Upstream answers 204 No Content; Cell 0's
// own bot insists on 200 and so refuses a healthy server. Both are healthy here.
#include "checks/common.hpp"

#include <fmt/format.h>

namespace cell0ctl::checks {

namespace {

Finding run(Context& context)
{
  if (!signal_enabled(context)) {
    return skip("Signal is not enabled (channels.signal.enabled in cell0.json)");
  }
  const std::string url = context.endpoint("signal").url + "/v1/health";
  const HttpResponse response = context.get("signal", "/v1/health");
  if (!response.answered()) {
    return unreachable("SIGNAL",
                       "signal-cli REST API",
                       url,
                       response,
                       "start it: docker compose -f cell0/docker-compose.signal.yml up -d "
                       "signal-cli");
  }
  if (response.status != 200 && response.status != 204) {
    return fail("SIGNAL_UNHEALTHY",
                fmt::format("{} answered HTTP {}", url, response.status),
                "read its log: docker logs cell0-signal-cli");
  }
  Finding finding = ok(fmt::format("signal-cli REST API healthy (HTTP {})", response.status));
  finding.measurements.push_back(latency(response));
  return finding;
}

} // namespace

extern const Check signal_health{
    .id = "signal.health",
    .title = "signal-cli's REST API is healthy (200 or 204)",
    .tags = tag_doctor | tag_health,
    .depends_on = {},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_loopback | touch_remote,
    .run = run,
};

} // namespace cell0ctl::checks
