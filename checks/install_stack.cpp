// SPDX-License-Identifier: GPL-3.0-or-later
// install.stack: which of Cell 0's two stacks is installed here, and where its code lives.
#include "checks/common.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace cell0ctl::checks {

namespace {

Finding run(Context& context)
{
  std::error_code ec;
  std::vector<std::string> found;
  if (fs::exists(context.host_path(context.home("cell0.json")), ec)) {
    found.emplace_back("Node gateway (cell0.json)");
  }
  if (fs::exists(context.host_path(context.home("config.json")), ec)) {
    found.emplace_back("Python cell0ctl (config.json)");
  }
  const auto& root = context.facts().cell0_root();
  if (root) {
    const fs::path config_dir = context.host_path(root->value / "cell0/config");
    if (fs::is_directory(config_dir, ec)) {
      found.emplace_back("YAML configs (cell0/config)");
    }
  }
  const std::string where =
      root ? fmt::format("checkout {} (from {})", root->value.string(), root->source)
           : std::string("checkout not found");
  if (found.empty()) {
    Finding finding = warn("NO_CONFIGURATION",
                           fmt::format("no Cell 0 configuration in {}; {}",
                                       context.home().string(),
                                       where),
                           "configure Cell 0 with `cell0 onboard` (Node gateway) or "
                           "`python3 cell0/cell0ctl.py setup` (Python stack)");
    return finding;
  }
  Finding finding = ok(fmt::format("{}; {}", util::join(found, ", "), where));
  if (!root) {
    finding.details = "cell0ctl looks for the checkout (the folder holding cell0/cell0d.py) in "
                      "`cell0_root` of its configuration, $CELL0_HOME, the working directory of "
                      "a running gateway or cell0d, and ~/cell0; checks of cell0d's Python "
                      "environment need it.";
  }
  return finding;
}

} // namespace

extern const Check install_stack{
    .id = "install.stack",
    .title = "Which Cell 0 stack is installed",
    .tags = tag_doctor,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_files | touch_processes,
    .run = run,
};

} // namespace cell0ctl::checks
