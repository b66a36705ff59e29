// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Helpers the check modules share: what Cell 0 looks like (process names, config keys,
// endpoints) lives here once, so that every check reads it the same way.

#include "lib/check/check.hpp"
#include "lib/check/context.hpp"

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cell0ctl::checks {

// "0644" for the permission bits of `perms`.
std::string mode_string(std::filesystem::perms perms);

// `path` quoted for a POSIX shell when it needs it.
std::string shell_quote(const std::string& text);

// Whether `endpoint` is on this machine (127.0.0.0/8, ::1, localhost), so that its port and
// process can be looked at.
bool is_local(const Endpoint& endpoint);

// cell0.json as a parsed object, or nullptr when absent or malformed.
const nlohmann::json* cell0_config(Context& context);

// Cell 0's processes, recognised by their command lines.
bool is_cell0d(const ProcessInfo& process);
bool is_gateway(const ProcessInfo& process);
std::vector<const ProcessInfo*> cell0d_processes(Context& context);
std::vector<const ProcessInfo*> gateway_processes(Context& context);

// Whether the process serving `endpoint_name` would be recognised in `process`.
bool serves(std::string_view endpoint_name, const ProcessInfo& process);

// "pid 123 (python3 cell0/cell0d.py)": a process for people, its command line shortened.
std::string describe_process(const ProcessInfo& process);

// The finding for a request that got no usable answer: unknown when it timed out (DESIGN.md),
// fail otherwise, naming the URL and the reason.
Finding unreachable(const std::string& code,
                    const std::string& what,
                    const std::string& url,
                    const HttpResponse& response,
                    std::string remediation);

// The Ollama model Cell 0 is configured to use ("llama3.3"), from cell0.json (`agent.model`
// "ollama/<model>" or `agents.defaults.model`) or `checks.ollama.model-present.model`.
std::optional<std::string> ollama_model(Context& context);

// Whether Cell 0 uses Ollama: a model above, provider "ollama", or an endpoint set by hand.
bool ollama_used(Context& context);

// Whether Signal is enabled: `channels.signal.enabled` in cell0.json, or the endpoint set by hand.
bool signal_enabled(Context& context);

// The last Python traceback in cell0d's log (`<home>/logs/cell0d.log`), text lines or the
// `exception` field of JSON lines; empty when there is none.
std::string last_traceback(const std::filesystem::path& log_file);

// The Python interpreter cell0d would run with, as the gateway's PythonBridge chooses it:
// <root>/.venv, <root>/venv, <home>/venv, <home>/.venv, then python3 on PATH.
struct Interpreter
{
  std::filesystem::path path;
  std::string why; // "<root>/.venv", "python3 on PATH"
  bool bootstrap_venv = false; // <home>/.venv, which Cell 0's bootstrap creates without packages
  bool from_path = false;      // found in PATH: `path` is already a path of this machine
};
std::optional<Interpreter> cell0d_interpreter(Context& context);

// What that interpreter says of itself and of fastapi/uvicorn, asked once per run.
struct PythonProbe
{
  bool ran = false;
  std::string error; // why it did not run
  std::string version; // "3.11.2"
  std::optional<std::string> fastapi; // version when importable
  std::optional<std::string> uvicorn;
  std::string import_error; // the first ImportError, when any
};
std::shared_ptr<const PythonProbe> probe_python(Context& context, const Interpreter& interpreter);

} // namespace cell0ctl::checks

namespace cell0ctl::checks {

// The body of `response` as JSON, or nothing when it is not JSON.
std::optional<nlohmann::json> json_body(const HttpResponse& response);

// "12.3 ms" as a measurement of a request's latency.
Measurement latency(const HttpResponse& response);

} // namespace cell0ctl::checks

namespace cell0ctl::checks {

// The entry of Ollama's /api/tags answer `tags` for `model` ("llama3" matches
// "llama3:latest"), or nullptr.
const nlohmann::json* find_model(const nlohmann::json& tags, const std::string& model);

} // namespace cell0ctl::checks
