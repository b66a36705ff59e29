// SPDX-License-Identifier: GPL-3.0-or-later
// config.parse: cell0.json, the gateway's configuration, is a JSON object.
#include "checks/common.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace fs = std::filesystem;

namespace cell0ctl::checks {

namespace {

// The newest `snapshots/cell0.json.bak.*` the gateway kept before its last write.
std::optional<fs::path> newest_snapshot(Context& context)
{
  std::vector<fs::path> snapshots;
  std::error_code ec;
  for (fs::directory_iterator it(context.host_path(context.home("snapshots")), ec), end;
       !ec && it != end;
       it.increment(ec)) {
    if (it->path().filename().string().rfind("cell0.json.bak.", 0) == 0) {
      snapshots.push_back(it->path().filename());
    }
  }
  if (snapshots.empty()) {
    return std::nullopt;
  }
  // The suffix is an ISO time, so the names sort by age.
  return context.home("snapshots") / *std::max_element(snapshots.begin(), snapshots.end());
}

Finding run(Context& context)
{
  const JsonFile& file = context.facts().cell0_json();
  const std::string path = context.home("cell0.json").string();
  if (!file.exists) {
    return skip("no cell0.json: the Node gateway is not configured");
  }
  if (!file.parsed()) {
    std::string remediation =
        file.line > 0 ? fmt::format("fix the JSON syntax at line {}, column {} of {}",
                                    file.line,
                                    file.column,
                                    path)
                      : fmt::format("make {} readable by this user", path);
    if (auto snapshot = newest_snapshot(context); snapshot && file.line > 0) {
      remediation += fmt::format(", or put back the last copy the gateway kept: cp {} {}",
                                 shell_quote(snapshot->string()),
                                 shell_quote(path));
    }
    if (file.error.find("unexpected string literal; expected '}'") != std::string::npos) {
      remediation = "a comma is probably missing before this key; " + remediation;
    }
    const std::string where =
        file.line > 0 ? fmt::format("{}:{}:{}", path, file.line, file.column) : path;
    return fail("CONFIG_SYNTAX", fmt::format("{}: {}", where, file.error), remediation);
  }
  if (!file.document->is_object()) {
    return fail("CONFIG_NOT_OBJECT",
                fmt::format("{}: expected a JSON object, found {}", path, file.document->type_name()),
                fmt::format("rewrite {} as an object, e.g. with `cell0 onboard`", path));
  }
  return ok(fmt::format("{} parses ({} top-level keys)", path, file.document->size()));
}

} // namespace

extern const Check config_parse{
    .id = "config.parse",
    .title = "cell0.json is valid JSON",
    .tags = tag_doctor | tag_backup_preflight,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(1000),
    .touches = touch_files,
    .run = run,
};

} // namespace cell0ctl::checks
