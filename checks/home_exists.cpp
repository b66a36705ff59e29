// SPDX-License-Identifier: GPL-3.0-or-later
// home.exists: the Cell 0 home is where cell0ctl looks for it.
#include "checks/common.hpp"

#include <fmt/format.h>

namespace fs = std::filesystem;

namespace cell0ctl::checks {

namespace {

Finding run(Context& context)
{
  const auto& home = context.inputs().home;
  const fs::path path = context.host_path(home.value);
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    return fail("HOME_MISSING",
                fmt::format("no Cell 0 home at {} (from {})", home.value.string(), home.source),
                "create it with `cell0 onboard`, or point cell0ctl at it with --cell0-home DIR "
                "or $CELL0_STATE_DIR");
  }
  if (status.type() != fs::file_type::directory) {
    return fail("HOME_NOT_DIRECTORY",
                fmt::format("{} (from {}) is not a directory", home.value.string(), home.source),
                fmt::format("move it away: mv {0} {0}.old", shell_quote(home.value.string())));
  }
  return ok(fmt::format("Cell 0 home at {} (from {})", home.value.string(), home.source));
}

} // namespace

extern const Check home_exists{
    .id = "home.exists",
    .title = "The Cell 0 home exists",
    .tags = tag_doctor | tag_backup_preflight,
    .depends_on = {},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_files,
    .run = run,
};

} // namespace cell0ctl::checks
