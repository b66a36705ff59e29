// SPDX-License-Identifier: GPL-3.0-or-later
// install.node and install.python: the runtimes Cell 0 documents, on PATH, new enough.
#include "checks/common.hpp"
#include "lib/sys/process.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace cell0ctl::checks {

namespace {

struct Runtime
{
  std::string_view program;    // "node"
  std::string_view minimum;    // "20"
  std::string_view install;    // how to get it on Debian
  std::string_view needed_for; // "the Node gateway"
};

Finding check_runtime(Context& context, const Runtime& runtime, bool needed)
{
  const auto path = find_in_path(runtime.program, context.inputs().environ);
  if (!path) {
    if (!needed) {
      return skip(fmt::format("{} not on PATH, and {} is not installed", runtime.program,
                              runtime.needed_for));
    }
    return fail(fmt::format("{}_MISSING", util::to_lower(runtime.program) == "node" ? "NODE" : "PYTHON"),
                fmt::format("{} is not on PATH; {} needs {} {} or later",
                            runtime.program,
                            runtime.needed_for,
                            runtime.program,
                            runtime.minimum),
                std::string(runtime.install));
  }
  const ProgramResult result =
      run_program({path->string(), "--version"}, context.inputs().environ, context.deadline());
  if (!result.started || result.exit_code != 0) {
    return fail("RUNTIME_BROKEN",
                fmt::format("{} --version failed: {}",
                            path->string(),
                            result.timed_out ? "no answer before the deadline"
                                             : util::last_lines(result.err + result.error, 1)),
                std::string(runtime.install));
  }
  // "v20.20.2" (node) or "Python 3.11.2" (python3).
  std::string version(util::trim(result.out.empty() ? result.err : result.out));
  if (const std::size_t space = version.rfind(' '); space != std::string::npos) {
    version = version.substr(space + 1);
  }
  if (!version.empty() && version.front() == 'v') {
    version.erase(0, 1);
  }
  if (util::compare_versions(version, runtime.minimum) < 0) {
    return fail("RUNTIME_TOO_OLD",
                fmt::format("{} {} at {} is older than {} needs ({} or later)",
                            runtime.program,
                            version,
                            path->string(),
                            runtime.needed_for,
                            runtime.minimum),
                std::string(runtime.install));
  }
  return ok(fmt::format("{} {} at {}", runtime.program, version, path->string()));
}

Finding run_node(Context& context)
{
  std::error_code ec;
  const bool gateway = fs::exists(context.host_path(context.home("cell0.json")), ec)
                       || !gateway_processes(context).empty();
  return check_runtime(context,
                       {"node", "20", "apt-get install nodejs (Node.js 20 or later; Debian 12 "
                                      "ships 18: use the NodeSource 20.x packages)",
                        "the Node gateway"},
                       gateway);
}

Finding run_python(Context& context)
{
  return check_runtime(context,
                       {"python3", "3.9", "apt-get install python3", "cell0d"},
                       true);
}

} // namespace

extern const Check install_node{
    .id = "install.node",
    .title = "Node.js 20 or later is on PATH",
    .tags = tag_doctor,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_files | touch_processes,
    .run = run_node,
};

extern const Check install_python{
    .id = "install.python",
    .title = "Python 3.9 or later is on PATH",
    .tags = tag_doctor,
    .depends_on = {},
    .timeout = std::chrono::milliseconds(2000),
    .touches = touch_files | touch_processes,
    .run = run_python,
};

} // namespace cell0ctl::checks
