// SPDX-License-Identifier: GPL-3.0-or-later
// process.cell0d, process.gateway, process.pidfile: Cell 0's processes as /proc shows them.
// They catch what no HTTP probe can: a daemon that ignored SIGTERM, a second daemon started
// by hand beside the gateway's own, a stale pid file.
#include "checks/common.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <fstream>

namespace fs = std::filesystem;

namespace cell0ctl::checks {

namespace {

bool owns(const ProcessTable& table, int port, int pid)
{
  for (const Listener* listener : table.listening_on(port)) {
    if (listener->pid == pid) {
      return true;
    }
  }
  return false;
}

bool served_unseen(const ProcessTable& table, int port)
{
  for (const Listener* listener : table.listening_on(port)) {
    if (listener->pid == 0) {
      return true;
    }
  }
  return false;
}

// The visible process listening on `port`, when there is one.
const ProcessInfo* listener_process(const ProcessTable& table, int port)
{
  for (const Listener* listener : table.listening_on(port)) {
    if (const ProcessInfo* process = table.find(listener->pid)) {
      return process;
    }
  }
  return nullptr;
}

// Nothing recognisable as `what` runs, yet something serves its port: it may be Cell 0 under
// a name cell0ctl does not know, or another program (which ports.<name> reports). The HTTP
// checks tell which; this one does not block them.
Finding unrecognised(std::string_view what, const Endpoint& endpoint, const ProcessInfo& process)
{
  return skip(fmt::format("no {} process recognised; :{} is served by {} (see ports.{})",
                          what,
                          endpoint.port,
                          describe_process(process),
                          endpoint.name));
}

std::string pids(const std::vector<const ProcessInfo*>& processes)
{
  std::vector<std::string> list;
  for (const ProcessInfo* process : processes) {
    list.push_back(std::to_string(process->pid));
  }
  return util::join(list, ", ");
}

Finding not_running(Context& context, const Endpoint& endpoint)
{
  std::error_code ec;
  const bool gateway_stack = fs::exists(context.host_path(context.home("cell0.json")), ec);
  const auto& root = context.facts().cell0_root();
  std::string remediation =
      gateway_stack ? "restart the gateway, which starts cell0d: systemctl --user restart "
                      "cell0-gateway (or stop and rerun `cell0 gateway`)"
                    : fmt::format("start it: cd {} && python3 cell0/cell0d.py",
                                  root ? shell_quote(root->value.string()) : "<checkout>");
  const fs::path log = context.home("logs/cell0d.log");
  const std::string traceback = last_traceback(context.host_path(log));
  std::string summary = fmt::format("cell0d is not running (nothing listens on :{})", endpoint.port);
  Finding finding;
  if (!traceback.empty()) {
    const std::string last = util::last_lines(traceback, 1);
    summary += fmt::format("; its last crash: {}", last);
    if (last.find("AuthenticationManager") != std::string::npos) {
      remediation = "see install.cell0d-imports for the fix of this import crash, then " +
                    remediation;
    } else if (last.find("Errno 98") != std::string::npos
               || last.find("address already in use") != std::string::npos) {
      remediation = "free the port (see the ports checks), then " + remediation;
    }
    finding = fail("CELL0D_NOT_RUNNING", summary, remediation);
    finding.details = fmt::format("last traceback in {}:\n{}", log.string(),
                                  util::last_lines(traceback, 12));
  } else {
    finding = fail("CELL0D_NOT_RUNNING", summary, remediation);
  }
  return finding;
}

Finding run_cell0d(Context& context)
{
  const Endpoint& endpoint = context.endpoint("cell0d");
  if (!is_local(endpoint)) {
    return skip(fmt::format("cell0d is not on this machine ({})", endpoint.url));
  }
  const ProcessTable& table = context.facts().processes();
  const int metrics_port = context.endpoint("metrics").port;
  const auto daemons = cell0d_processes(context);
  if (daemons.empty()) {
    if (served_unseen(table, endpoint.port)) {
      return ok(fmt::format(":{} is served by a process outside this PID namespace (a container?)",
                            endpoint.port));
    }
    if (const ProcessInfo* other = listener_process(table, endpoint.port)) {
      return unrecognised("cell0d", endpoint, *other);
    }
    return not_running(context, endpoint);
  }
  if (daemons.size() > 1) {
    std::vector<std::string> extra;
    for (const ProcessInfo* daemon : daemons) {
      if (!owns(table, endpoint.port, daemon->pid)) {
        extra.push_back(std::to_string(daemon->pid));
      }
    }
    Finding finding =
        fail("CELL0D_DUPLICATE",
             fmt::format("{} cell0d processes run (pids {}); only one can own :{}",
                         daemons.size(),
                         pids(daemons),
                         endpoint.port),
             extra.empty() ? "stop all but one: kill <pid>"
                           : fmt::format("stop the ones not serving: kill {}", util::join(extra, " ")));
    std::vector<std::string> lines;
    for (const ProcessInfo* daemon : daemons) {
      lines.push_back(describe_process(*daemon));
    }
    finding.details = util::join(lines, "\n");
    return finding;
  }
  const ProcessInfo& daemon = *daemons.front();
  const bool http = owns(table, endpoint.port, daemon.pid);
  const bool metrics = owns(table, metrics_port, daemon.pid);
  if (!http && metrics) {
    return fail("CELL0D_HUNG_AFTER_SIGTERM",
                fmt::format("cell0d pid {} is alive with :{} closed but :{} still served: it "
                            "ignored SIGTERM (uvicorn closed the API, the metrics thread lives on)",
                            daemon.pid,
                            endpoint.port,
                            metrics_port),
                fmt::format("kill -9 {}, then start Cell 0 again", daemon.pid));
  }
  if (!http) {
    return warn("CELL0D_NOT_LISTENING",
                fmt::format("cell0d pid {} runs but does not listen on :{} (starting, or bound "
                            "elsewhere)",
                            daemon.pid,
                            endpoint.port),
                fmt::format("wait a few seconds and rerun; if it stays so, check {} and "
                            "CELL0_PORT in its environment (cat /proc/{}/environ | tr '\\0' '\\n')",
                            context.home("logs/cell0d.log").string(),
                            daemon.pid));
  }
  const auto gateways = gateway_processes(context);
  if (!gateways.empty()) {
    const bool child = std::any_of(gateways.begin(), gateways.end(), [&](const ProcessInfo* g) {
      return g->pid == daemon.ppid;
    });
    if (!child) {
      Finding finding = warn(
          "CELL0D_NOT_GATEWAY_CHILD",
          fmt::format("cell0d pid {} was not started by the gateway (pid {}): the gateway's own "
                      "cell0d could not bind, so it reports python:false and python_bridge "
                      "\"degraded\" while this one serves",
                      daemon.pid,
                      pids(gateways)),
          fmt::format("stop the hand-started daemon (kill {}) and restart the gateway, or run the "
                      "gateway with CELL0_NO_PYTHON=1",
                      daemon.pid));
      finding.details = describe_process(daemon);
      return finding;
    }
  }
  return ok(fmt::format("cell0d pid {} serves :{}{}",
                        daemon.pid,
                        endpoint.port,
                        gateways.empty() ? std::string()
                                         : fmt::format(" (child of gateway pid {})", daemon.ppid)));
}

Finding run_gateway(Context& context)
{
  const Endpoint& endpoint = context.endpoint("gateway");
  if (!is_local(endpoint)) {
    return skip(fmt::format("the gateway is not on this machine ({})", endpoint.url));
  }
  const ProcessTable& table = context.facts().processes();
  const auto gateways = gateway_processes(context);
  std::error_code ec;
  if (gateways.empty()) {
    if (served_unseen(table, endpoint.port)) {
      return ok(fmt::format(":{} is served by a process outside this PID namespace (a container?)",
                            endpoint.port));
    }
    if (const ProcessInfo* other = listener_process(table, endpoint.port)) {
      return unrecognised("gateway", endpoint, *other);
    }
    if (!fs::exists(context.host_path(context.home("cell0.json")), ec)) {
      return skip("the Node gateway is neither configured nor running");
    }
    return fail("GATEWAY_NOT_RUNNING",
                "the Cell 0 gateway is not running",
                "start it: systemctl --user start cell0-gateway (or `cell0 gateway`)");
  }
  const ProcessInfo& gateway = *gateways.front();
  if (owns(table, endpoint.port, gateway.pid)) {
    return ok(fmt::format("gateway pid {} listens on :{}", gateway.pid, endpoint.port));
  }
  // The gateway shifts to the next of port+1..port+4 when its port is busy.
  for (int shift = 1; shift <= 4; ++shift) {
    if (owns(table, endpoint.port + shift, gateway.pid)) {
      return warn("GATEWAY_PORT_SHIFTED",
                  fmt::format("gateway pid {} listens on :{} instead of :{}, which was busy at "
                              "its start: clients of :{} reach something else",
                              gateway.pid,
                              endpoint.port + shift,
                              endpoint.port,
                              endpoint.port),
                  fmt::format("free :{} (see ports.gateway) and restart the gateway",
                              endpoint.port));
    }
  }
  return warn("GATEWAY_NOT_LISTENING",
              fmt::format("gateway pid {} does not listen on :{} yet: it waits up to 30 s for "
                          "cell0d before it listens",
                          gateway.pid,
                          endpoint.port),
              "wait 30 seconds and rerun; if it stays so, see process.cell0d");
}

Finding run_pidfile(Context& context)
{
  const fs::path file = context.home("cell0d.pid");
  std::ifstream in(context.host_path(file));
  if (!in) {
    return skip("no cell0d.pid (only `cell0ctl.py start --detach` writes one)");
  }
  std::string text;
  std::getline(in, text);
  unsigned long long pid = 0;
  const std::string remove = fmt::format("rm {}", shell_quote(file.string()));
  if (!util::parse_uint(util::trim(text), pid) || pid == 0) {
    return warn("PIDFILE_INVALID", fmt::format("{} does not hold a pid", file.string()), remove);
  }
  const ProcessInfo* process = context.facts().processes().find(static_cast<int>(pid));
  if (process == nullptr) {
    return warn("PIDFILE_STALE",
                fmt::format("{} names pid {}, which is not running: Python cell0ctl will think "
                            "cell0d is down, or running, wrongly",
                            file.string(),
                            pid),
                remove);
  }
  if (!is_cell0d(*process)) {
    return warn("PIDFILE_REUSED",
                fmt::format("{} names pid {}, which is now another program: {}",
                            file.string(),
                            pid,
                            describe_process(*process)),
                remove);
  }
  return ok(fmt::format("{} names the running cell0d (pid {})", file.string(), pid));
}

} // namespace

extern const Check process_cell0d{
    .id = "process.cell0d",
    .title = "One cell0d runs, serves its port, and is the gateway's",
    .tags = tag_doctor,
    .depends_on = {},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_processes | touch_files,
    .run = run_cell0d,
};

extern const Check process_gateway{
    .id = "process.gateway",
    .title = "The Node gateway runs and listens on its port",
    .tags = tag_doctor,
    .depends_on = {},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_processes,
    .run = run_gateway,
};

extern const Check process_pidfile{
    .id = "process.pidfile",
    .title = "cell0d.pid, when present, names the running cell0d",
    .tags = tag_doctor,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_processes | touch_files,
    .run = run_pidfile,
};

} // namespace cell0ctl::checks
