// SPDX-License-Identifier: GPL-3.0-or-later
// ports.<service>: each of Cell 0's ports is free, held by the service it belongs to, or held
// by another process, which is named with its pid and command line. 8080 in particular is
// also the default of cAdvisor, Google Chat's webhook and countless development servers.
#include "checks/common.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

namespace cell0ctl::checks {

namespace {

// How to move a Cell 0 service off a port taken by something else.
std::string_view how_to_move(std::string_view name)
{
  if (name == "gateway") {
    return "set gateway.port in cell0.json (or CELL0_GATEWAY_PORT)";
  }
  if (name == "cell0d") {
    return "set CELL0_PORT for cell0d";
  }
  if (name == "metrics") {
    return "set CELL0_METRICS_PORT for cell0d";
  }
  if (name == "websocket") {
    return "set CELL0_WS_PORT for cell0d";
  }
  if (name == "ollama") {
    return "start Ollama with OLLAMA_HOST=127.0.0.1:<port>";
  }
  if (name == "signal") {
    return "publish signal-cli-rest-api on another port and set signal_cli_url";
  }
  return "stop the other program before starting Cell 0's";
}

Finding run_port(Context& context, std::string_view name)
{
  const Endpoint& endpoint = context.endpoint(name);
  if (!is_local(endpoint)) {
    return skip(fmt::format("{} is not on this machine ({})", name, endpoint.url));
  }
  if (name == "signal" && !signal_enabled(context)) {
    return skip("Signal is not enabled");
  }
  if (name == "ollama" && !ollama_used(context)) {
    return skip("Cell 0 is not configured to use Ollama");
  }
  const ProcessTable& table = context.facts().processes();
  const auto listeners = table.listening_on(endpoint.port);
  if (listeners.empty()) {
    if (name == "websocket") {
      return ok(fmt::format(":{} is free (cell0d's legacy JSON-RPC WebSocket never starts; normal)",
                            endpoint.port));
    }
    return ok(fmt::format(":{} is free", endpoint.port));
  }
  std::vector<std::string> others;
  std::vector<int> other_pids;
  std::string owner;
  bool unseen = false;
  for (const Listener* listener : listeners) {
    if (listener->pid == 0) {
      unseen = true;
      continue;
    }
    const ProcessInfo* process = table.find(listener->pid);
    if (process == nullptr) {
      unseen = true;
    } else if (serves(name, *process)) {
      owner = fmt::format("{} pid {}", name, process->pid);
    } else if (std::find(other_pids.begin(), other_pids.end(), process->pid) == other_pids.end()) {
      other_pids.push_back(process->pid);
      others.push_back(describe_process(*process));
    }
  }
  if (!others.empty()) {
    std::vector<std::string> kill;
    for (const int pid : other_pids) {
      kill.push_back(std::to_string(pid));
    }
    Finding finding = fail("PORT_HELD_BY_OTHER",
                           fmt::format(":{} ({}'s port) is held by {}",
                                       endpoint.port,
                                       name,
                                       util::join(others, ", ")),
                           fmt::format("stop it (kill {}), or {} and tell cell0ctl with "
                                       "--endpoint {}=http://127.0.0.1:<port>",
                                       util::join(kill, " "),
                                       how_to_move(name),
                                       name));
    finding.measurements.push_back({"port", static_cast<double>(endpoint.port), "port"});
    return finding;
  }
  if (!owner.empty()) {
    return ok(fmt::format(":{} is held by {}", endpoint.port, owner));
  }
  if (unseen) {
    return ok(fmt::format(":{} is held by a process cell0ctl cannot see (another user or a "
                          "container); `ss -ltnp 'sport = :{}'` as root names it",
                          endpoint.port,
                          endpoint.port));
  }
  return ok(fmt::format(":{} is in use", endpoint.port));
}

template <const char* Name>
Finding run(Context& context)
{
  return run_port(context, Name);
}

constexpr char k_gateway[] = "gateway";
constexpr char k_portal[] = "portal";
constexpr char k_cell0d[] = "cell0d";
constexpr char k_websocket[] = "websocket";
constexpr char k_metrics[] = "metrics";
constexpr char k_ollama[] = "ollama";
constexpr char k_signal[] = "signal";

constexpr unsigned k_touches = touch_processes | touch_files;
constexpr std::chrono::milliseconds k_timeout(2000);

} // namespace

extern const Check ports_gateway{.id = "ports.gateway",
                                 .title = "The gateway's port is free or the gateway's",
                                 .tags = tag_doctor,
                                 .depends_on = {},
                                 .timeout = k_timeout,
                                 .touches = k_touches,
                                 .run = run<k_gateway>};
extern const Check ports_portal{.id = "ports.portal",
                                .title = "The portal's port is free or the portal's",
                                .tags = tag_doctor,
                                .depends_on = {},
                                .timeout = k_timeout,
                                .touches = k_touches,
                                .run = run<k_portal>};
extern const Check ports_cell0d{.id = "ports.cell0d",
                                .title = "cell0d's API port is free or cell0d's",
                                .tags = tag_doctor,
                                .depends_on = {},
                                .timeout = k_timeout,
                                .touches = k_touches,
                                .run = run<k_cell0d>};
extern const Check ports_websocket{.id = "ports.websocket",
                                   .title = "cell0d's legacy WebSocket port is free or cell0d's",
                                   .tags = tag_doctor,
                                   .depends_on = {},
                                   .timeout = k_timeout,
                                   .touches = k_touches,
                                   .run = run<k_websocket>};
extern const Check ports_metrics{.id = "ports.metrics",
                                 .title = "cell0d's metrics port is free or cell0d's",
                                 .tags = tag_doctor,
                                 .depends_on = {},
                                 .timeout = k_timeout,
                                 .touches = k_touches,
                                 .run = run<k_metrics>};
extern const Check ports_ollama{.id = "ports.ollama",
                                .title = "Ollama's port is free or Ollama's",
                                .tags = tag_doctor,
                                .depends_on = {},
                                .timeout = k_timeout,
                                .touches = k_touches,
                                .run = run<k_ollama>};
extern const Check ports_signal{.id = "ports.signal",
                                .title = "signal-cli's port is free or signal-cli's",
                                .tags = tag_doctor,
                                .depends_on = {},
                                .timeout = k_timeout,
                                .touches = k_touches,
                                .run = run<k_signal>};

} // namespace cell0ctl::checks
