// SPDX-License-Identifier: GPL-3.0-or-later
// cell0d.health, cell0d.deep, cell0d.ready: cell0d's own health routes. /health/deep mixes
// strings, objects and booleans in `components`; /ready can never answer 503.
#include "checks/common.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <variant>

namespace cell0ctl::checks {

namespace {

constexpr std::string_view k_restart =
    "restart cell0d (systemctl --user restart cell0-gateway restarts the gateway and its cell0d)";

// GETs `path` of cell0d and returns its JSON object, or the finding that explains why not.
std::variant<nlohmann::json, Finding> get_json(Context& context, std::string_view path,
                                               Measurement& took)
{
  const std::string url = context.endpoint("cell0d").url + std::string(path);
  const HttpResponse response = context.get("cell0d", path);
  took = latency(response);
  if (!response.answered()) {
    return unreachable("CELL0D", "cell0d", url, response, std::string(k_restart));
  }
  auto body = json_body(response);
  if (response.status != 200) {
    Finding finding = fail("CELL0D_HTTP_STATUS",
                           fmt::format("{} answered HTTP {}", url, response.status),
                           std::string(k_restart));
    finding.details = util::last_lines(response.body, 5);
    return finding;
  }
  if (!body || !body->is_object()) {
    return fail("CELL0D_BAD_ANSWER",
                fmt::format("{} did not answer with a JSON object", url),
                fmt::format("check that {} is cell0d", context.endpoint("cell0d").url));
  }
  return std::move(*body);
}

Finding with(Finding finding, const Measurement& measurement)
{
  finding.measurements.push_back(measurement);
  return finding;
}

Finding run_health(Context& context)
{
  Measurement took;
  auto answer = get_json(context, "/health", took);
  if (auto* finding = std::get_if<Finding>(&answer)) {
    return with(std::move(*finding), took);
  }
  const auto& body = std::get<nlohmann::json>(answer);
  const std::string status = body.value("status", std::string());
  if (status != "healthy") {
    return with(fail("CELL0D_UNHEALTHY",
                     fmt::format("cell0d /health says \"{}\"", status),
                     std::string(k_restart)),
                took);
  }
  return with(ok(fmt::format("cell0d {} ({}) healthy",
                             body.value("version", std::string("?")),
                             body.value("environment", std::string("?")))),
              took);
}

Finding run_deep(Context& context)
{
  Measurement took;
  auto answer = get_json(context, "/health/deep", took);
  if (auto* finding = std::get_if<Finding>(&answer)) {
    return with(std::move(*finding), took);
  }
  const auto& body = std::get<nlohmann::json>(answer);
  const nlohmann::json* components = json_at(body, "components");
  if (components == nullptr || !components->is_object()) {
    return with(fail("CELL0D_BAD_ANSWER", "/health/deep has no components", std::string(k_restart)),
                took);
  }
  std::vector<std::string> good;
  std::vector<std::string> bad;
  std::vector<std::string> notes;
  for (const auto& [name, value] : components->items()) {
    if (value.is_boolean()) {
      (value.get<bool>() ? good : bad).push_back(name);
    } else if (value.is_string()) {
      const std::string state = value.get<std::string>();
      (state == "healthy" || state == "ok" ? good : bad).push_back(
          state == "healthy" || state == "ok" ? name : fmt::format("{} ({})", name, state));
    } else if (value.is_object() && value.contains("available")) {
      // MLX is Apple-silicon only: unavailable elsewhere is expected, not a fault.
      notes.push_back(fmt::format("{} {}",
                                  name,
                                  value["available"] == true ? "available" : "unavailable"));
    } else if (value.is_object() && value.contains("connections")) {
      const auto& connections = value["connections"];
      notes.push_back(fmt::format("{} {} connection{}",
                                  name,
                                  connections.dump(),
                                  connections == 1 ? "" : "s"));
    } else {
      notes.push_back(fmt::format("{} {}", name, value.dump()));
    }
  }
  const std::string summary = fmt::format("{}{}",
                                          good.empty() ? "no component ok" : util::join(good, ", ") + " ok",
                                          notes.empty() ? "" : "; " + util::join(notes, ", "));
  if (!bad.empty()) {
    // services/monitoring/security are cell0d's optional imports: false means that part of
    // the daemon was left out at start.
    return with(warn("CELL0D_COMPONENT_DOWN",
                     fmt::format("cell0d components down: {}; {}", util::join(bad, ", "), summary),
                     fmt::format("read why in {} (grep -i 'import' it), fix the Python "
                                 "environment (install.python-env), then restart cell0d",
                                 context.home("logs/cell0d.log").string())),
                took);
  }
  if (body.value("status", std::string()) != "healthy") {
    return with(fail("CELL0D_UNHEALTHY",
                     fmt::format("/health/deep says \"{}\"", body.value("status", std::string())),
                     std::string(k_restart)),
                took);
  }
  return with(ok(summary), took);
}

Finding run_ready(Context& context)
{
  Measurement took;
  auto answer = get_json(context, "/ready", took);
  if (auto* finding = std::get_if<Finding>(&answer)) {
    if (finding->code == "CELL0D_HTTP_STATUS") {
      finding->code = "CELL0D_NOT_READY";
    }
    return with(std::move(*finding), took);
  }
  const auto& body = std::get<nlohmann::json>(answer);
  return with(ok(fmt::format("cell0d /ready says \"{}\" (it answers 200 whenever it runs)",
                             body.value("status", std::string("?")))),
              took);
}

} // namespace

extern const Check cell0d_health{
    .id = "cell0d.health",
    .title = "cell0d answers /health",
    .tags = tag_doctor | tag_health | tag_liveness,
    .depends_on = {"process.cell0d"},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_loopback | touch_remote,
    .run = run_health,
};

extern const Check cell0d_deep{
    .id = "cell0d.deep",
    .title = "cell0d's components are up (/health/deep)",
    .tags = tag_doctor | tag_health,
    .depends_on = {"cell0d.health"},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_loopback | touch_remote,
    .run = run_deep,
};

extern const Check cell0d_ready{
    .id = "cell0d.ready",
    .title = "cell0d answers /ready",
    .tags = tag_doctor | tag_health | tag_readiness,
    .depends_on = {"cell0d.health"},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_loopback | touch_remote,
    .run = run_ready,
};

} // namespace cell0ctl::checks
