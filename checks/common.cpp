// SPDX-License-Identifier: GPL-3.0-or-later
#include "checks/common.hpp"

#include "lib/core/json_file.hpp"
#include "lib/sys/process.hpp"
#include "lib/util/strings.hpp"
#include "lib/util/units.hpp"

#include <fmt/format.h>

#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace cell0ctl::checks {

std::string mode_string(fs::perms perms)
{
  return fmt::format("{:04o}", static_cast<unsigned>(perms & fs::perms::mask));
}

std::string shell_quote(const std::string& text)
{
  const bool plain = !text.empty()
                     && text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "0123456789@%+=:,./-_")
                            == std::string::npos;
  if (plain) {
    return text;
  }
  std::string out = "'";
  for (const char c : text) {
    out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  }
  return out + "'";
}

bool is_local(const Endpoint& endpoint)
{
  return endpoint.host.rfind("127.", 0) == 0 || endpoint.host == "::1"
         || endpoint.host == "localhost";
}

const nlohmann::json* cell0_config(Context& context)
{
  const JsonFile& file = context.facts().cell0_json();
  if (!file.parsed() || !file.document->is_object()) {
    return nullptr;
  }
  return &*file.document;
}

namespace {

bool argv_mentions(const ProcessInfo& process, std::string_view needle)
{
  for (const std::string& arg : process.argv) {
    if (arg.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

} // namespace

bool is_cell0d(const ProcessInfo& process)
{
  // `python3 .../cell0/cell0d.py`, `python -m cell0.cell0d`, or the `cell0d` console script;
  // not a shell or editor that merely has the name in an argument.
  if (process.argv.empty()) {
    return false;
  }
  const std::string program = fs::path(process.argv[0]).filename().string();
  if (program == "cell0d") {
    return true;
  }
  const bool python = program.rfind("python", 0) == 0 || process.comm.rfind("python", 0) == 0;
  return python && (argv_mentions(process, "cell0d.py") || argv_mentions(process, "cell0.cell0d")
                    || argv_mentions(process, "cell0d"));
}

bool is_gateway(const ProcessInfo& process)
{
  if (process.argv.empty()) {
    return false;
  }
  if (argv_mentions(process, "dist/gateway/index.js") || argv_mentions(process, "cell0-gateway")) {
    return true;
  }
  // `cell0 gateway`, `node .../bin/cell0 gateway`, and stand-ins started as `... gateway`.
  for (std::size_t i = 0; i + 1 < process.argv.size(); ++i) {
    const std::string name = fs::path(process.argv[i]).filename().string();
    if ((name == "cell0" || name.find("cell0") != std::string::npos)
        && process.argv[i + 1] == "gateway") {
      return true;
    }
  }
  return false;
}

std::vector<const ProcessInfo*> cell0d_processes(Context& context)
{
  std::vector<const ProcessInfo*> found;
  for (const ProcessInfo& process : context.facts().processes().processes) {
    if (is_cell0d(process)) {
      found.push_back(&process);
    }
  }
  return found;
}

std::vector<const ProcessInfo*> gateway_processes(Context& context)
{
  std::vector<const ProcessInfo*> found;
  for (const ProcessInfo& process : context.facts().processes().processes) {
    if (is_gateway(process)) {
      found.push_back(&process);
    }
  }
  return found;
}

bool serves(std::string_view endpoint_name, const ProcessInfo& process)
{
  if (endpoint_name == "cell0d" || endpoint_name == "metrics" || endpoint_name == "websocket") {
    return is_cell0d(process);
  }
  if (endpoint_name == "gateway") {
    return is_gateway(process);
  }
  if (endpoint_name == "portal") {
    return argv_mentions(process, "portal");
  }
  if (endpoint_name == "ollama") {
    return argv_mentions(process, "ollama") || process.comm == "ollama";
  }
  if (endpoint_name == "signal") {
    return argv_mentions(process, "signal-cli") || argv_mentions(process, "signal");
  }
  return false;
}

std::string describe_process(const ProcessInfo& process)
{
  std::string line = process.command_line();
  if (line.empty()) {
    line = process.comm;
  }
  if (line.size() > 120) {
    line = line.substr(0, 117) + "...";
  }
  return fmt::format("pid {} ({})", process.pid, line);
}

Finding unreachable(const std::string& code,
                    const std::string& what,
                    const std::string& url,
                    const HttpResponse& response,
                    std::string remediation)
{
  if (response.error == HttpError::timeout) {
    Finding finding = unknown(code + "_TIMEOUT",
                              fmt::format("{} did not answer at {} before the deadline", what, url));
    finding.details = response.error_text;
    finding.remediation = std::move(remediation);
    return finding;
  }
  Finding finding =
      fail(code + "_UNREACHABLE", fmt::format("{} at {}: {}", what, url, describe(response.error)));
  finding.details = response.error_text;
  finding.remediation = std::move(remediation);
  return finding;
}

std::optional<std::string> ollama_model(Context& context)
{
  const std::string key = fmt::format("checks.ollama.model-present.model");
  if (auto model = context.inputs().settings.string(key)) {
    return model;
  }
  const nlohmann::json* config = cell0_config(context);
  if (config == nullptr) {
    return std::nullopt;
  }
  const auto provider = json_string(*config, "agent.provider");
  for (const char* path : {"agent.model", "agents.defaults.model"}) {
    const auto model = json_string(*config, path);
    if (!model || model->empty()) {
      continue;
    }
    if (model->rfind("ollama/", 0) == 0) {
      return model->substr(7);
    }
    if (provider == "ollama" && model->find('/') == std::string::npos) {
      return model;
    }
  }
  return std::nullopt;
}

bool ollama_used(Context& context)
{
  if (find_endpoint(context.inputs().endpoints, "ollama").source != "default") {
    return true;
  }
  if (ollama_model(context)) {
    return true;
  }
  const nlohmann::json* config = cell0_config(context);
  return config != nullptr
         && (json_string(*config, "agent.provider") == "ollama"
             || json_string(*config, "agents.defaults.provider") == "ollama");
}

bool signal_enabled(Context& context)
{
  if (find_endpoint(context.inputs().endpoints, "signal").source != "default") {
    return true;
  }
  const nlohmann::json* config = cell0_config(context);
  if (config == nullptr) {
    return false;
  }
  const nlohmann::json* enabled = json_at(*config, "channels.signal.enabled");
  return enabled != nullptr && enabled->is_boolean() && enabled->get<bool>();
}

std::string last_traceback(const fs::path& log_file)
{
  std::ifstream in(log_file, std::ios::binary);
  if (!in) {
    return {};
  }
  // Only the tail matters, and a log can be large: read at most the last 1 MiB.
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  const std::streamoff start = size > (1 << 20) ? size - (1 << 20) : 0;
  in.seekg(start);
  std::string last;
  std::string block;
  bool in_block = false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() == '{') {
      try {
        const auto record = nlohmann::json::parse(line);
        if (auto it = record.find("exception"); it != record.end() && it->is_string()) {
          last = it->get<std::string>();
        }
      } catch (const nlohmann::json::exception&) {
      }
      in_block = false;
      continue;
    }
    if (line.rfind("Traceback (most recent call last):", 0) == 0) {
      in_block = true;
      block = line + "\n";
      last = block;
      continue;
    }
    if (in_block) {
      // A traceback goes on with indented lines and ends at its first unindented line,
      // the exception itself.
      block += line + "\n";
      last = block;
      if (!line.empty() && line.front() != ' ' && line.front() != '\t') {
        in_block = false;
      }
    }
  }
  while (!last.empty() && last.back() == '\n') {
    last.pop_back();
  }
  return last;
}

std::optional<Interpreter> cell0d_interpreter(Context& context)
{
  std::vector<Interpreter> candidates;
  if (const auto& root = context.facts().cell0_root()) {
    candidates.push_back({root->value / ".venv/bin/python3", "<root>/.venv", false});
    candidates.push_back({root->value / "venv/bin/python3", "<root>/venv", false});
  }
  candidates.push_back({context.home("venv/bin/python3"), "<home>/venv", false});
  candidates.push_back({context.home(".venv/bin/python3"), "<home>/.venv", true});
  for (const Interpreter& candidate : candidates) {
    std::error_code ec;
    if (fs::exists(context.host_path(candidate.path), ec)) {
      return candidate;
    }
  }
  if (auto python = find_in_path("python3", context.inputs().environ)) {
    return Interpreter{*python, "python3 on PATH", false, true};
  }
  return std::nullopt;
}

std::shared_ptr<const PythonProbe> probe_python(Context& context, const Interpreter& interpreter)
{
  static constexpr std::string_view k_script = R"(import json, sys
r = {"version": "%d.%d.%d" % sys.version_info[:3]}
for name in ("fastapi", "uvicorn"):
    try:
        m = __import__(name)
        r[name] = getattr(m, "__version__", "unknown")
    except Exception as e:
        r.setdefault("error", "%s: %s" % (type(e).__name__, e))
print(json.dumps(r))
)";
  const fs::path path = interpreter.from_path ? interpreter.path : context.host_path(interpreter.path);
  const Deadline deadline = context.deadline();
  const Environ& environ = context.inputs().environ;
  return context.facts().once<PythonProbe>("python:" + path.string(), [&] {
    PythonProbe probe;
    const ProgramResult result =
        run_program({path.string(), "-I", "-c", std::string(k_script)}, environ, deadline);
    if (!result.started || result.timed_out) {
      probe.error = result.timed_out ? "did not answer before the deadline" : result.error;
      return probe;
    }
    try {
      const auto answer = nlohmann::json::parse(result.out);
      probe.ran = true;
      probe.version = answer.value("version", "");
      if (answer.contains("fastapi")) {
        probe.fastapi = answer["fastapi"].get<std::string>();
      }
      if (answer.contains("uvicorn")) {
        probe.uvicorn = answer["uvicorn"].get<std::string>();
      }
      probe.import_error = answer.value("error", "");
    } catch (const nlohmann::json::exception&) {
      probe.error = fmt::format("exit status {}: {}",
                                result.exit_code,
                                util::last_lines(result.err.empty() ? result.out : result.err, 1));
    }
    return probe;
  });
}

} // namespace cell0ctl::checks

namespace cell0ctl::checks {

std::optional<nlohmann::json> json_body(const HttpResponse& response)
{
  try {
    return nlohmann::json::parse(response.body);
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

Measurement latency(const HttpResponse& response)
{
  return {"latency", response.elapsed_ms, "ms"};
}

} // namespace cell0ctl::checks
