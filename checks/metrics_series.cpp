// SPDX-License-Identifier: GPL-3.0-or-later
// metrics.series: cell0d's exporter serves Cell 0's own cell0_* series. As shipped it serves
// prometheus_client's default registry (python_*, process_*), so every cell0_* alert rule and
// dashboard panel stays empty.
#include "checks/common.hpp"

#include <fmt/format.h>

#include <sstream>

namespace cell0ctl::checks {

namespace {

Finding run(Context& context)
{
  const std::string url = context.endpoint("metrics").url + "/metrics";
  const HttpResponse response = context.get("metrics", "/metrics");
  if (!response.answered()) {
    return unreachable("METRICS",
                       "cell0d's metrics exporter",
                       url,
                       response,
                       "cell0d starts it on CELL0_METRICS_PORT when its monitoring imports work; "
                       "see cell0d.deep and the cell0d log");
  }
  if (response.status != 200) {
    return fail("METRICS_HTTP_STATUS", fmt::format("{} answered HTTP {}", url, response.status),
                "restart cell0d");
  }
  int series = 0;
  int cell0 = 0;
  std::istringstream lines(response.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line.front() == '#') {
      continue;
    }
    ++series;
    cell0 += line.rfind("cell0_", 0) == 0 ? 1 : 0;
  }
  Finding finding;
  if (series == 0) {
    finding = fail("METRICS_EMPTY", fmt::format("{} serves no series", url), "restart cell0d");
  } else if (cell0 == 0) {
    finding = warn("METRICS_NO_CELL0_SERIES",
                   fmt::format("the exporter serves {} series, none of them cell0_*: Cell 0's "
                               "alert rules and dashboards on cell0_* stay empty",
                               series),
                   "cell0d serves prometheus_client's default registry; until it registers "
                   "Cell 0's metrics there, alert on up{job=\"cell0\"} and process_* instead");
  } else {
    finding = ok(fmt::format("{} series, {} of them cell0_*", series, cell0));
  }
  finding.measurements.push_back({"series", static_cast<double>(series), "count"});
  finding.measurements.push_back({"cell0_series", static_cast<double>(cell0), "count"});
  finding.measurements.push_back(latency(response));
  return finding;
}

} // namespace

extern const Check metrics_series{
    .id = "metrics.series",
    .title = "The metrics endpoint serves cell0_* series",
    .tags = tag_doctor | tag_health,
    .depends_on = {"process.cell0d"},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_loopback | touch_remote,
    .run = run,
};

} // namespace cell0ctl::checks
