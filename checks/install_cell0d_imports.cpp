// SPDX-License-Identifier: GPL-3.0-or-later
// install.cell0d-imports: cell0d's own modules import on the interpreter it runs with.
// engine/security/auth.py annotates a module variable with a class defined further down;
// Python 3.13 and older evaluate that annotation at import, so cell0d dies with NameError
// before it binds a port. Found by reading the file, never by importing it (importing Cell 0
// creates folders in the home).
#include "checks/common.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <fstream>
#include <regex>

namespace fs = std::filesystem;

namespace cell0ctl::checks {

namespace {

struct EarlyAnnotation
{
  int line = 0;       // the annotation
  int class_line = 0; // where the class is defined
  std::string name;   // the class
};

// Finds a module-level annotation naming a class the same file defines only later.
std::optional<EarlyAnnotation> early_annotation(const fs::path& file, bool& future_import)
{
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
  }
  static const std::regex k_class(R"(^class\s+([A-Za-z_][A-Za-z0-9_]*))");
  static const std::regex k_annotation(R"(^[A-Za-z_][A-Za-z0-9_]*\s*:\s*([^=]+))");
  std::map<std::string, int> classes;
  future_import = false;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (std::regex_search(lines[i], m, k_class)) {
      classes.emplace(m[1].str(), static_cast<int>(i + 1));
    }
    if (lines[i].rfind("from __future__ import", 0) == 0
        && lines[i].find("annotations") != std::string::npos) {
      future_import = true;
    }
  }
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::smatch m;
    if (!std::regex_search(lines[i], m, k_annotation)) {
      continue;
    }
    const std::string annotation(util::trim(m[1].str()));
    if (!annotation.empty() && (annotation.front() == '"' || annotation.front() == '\'')) {
      continue; // a string annotation is never evaluated
    }
    for (const auto& [name, class_line] : classes) {
      const std::regex word("\\b" + name + "\\b");
      if (class_line > static_cast<int>(i + 1) && std::regex_search(annotation, word)
          && annotation.find('"' + name) == std::string::npos
          && annotation.find('\'' + name) == std::string::npos) {
        return EarlyAnnotation{static_cast<int>(i + 1), class_line, name};
      }
    }
  }
  return std::nullopt;
}

Finding run(Context& context)
{
  const auto& root = context.facts().cell0_root();
  if (!root) {
    return skip("Cell 0 checkout not found (set cell0_root in cell0ctl's configuration)");
  }
  const fs::path relative = "cell0/engine/security/auth.py";
  const fs::path file = root->value / relative;
  std::error_code ec;
  if (!fs::exists(context.host_path(file), ec)) {
    return skip(fmt::format("{} not present in this checkout", relative.string()));
  }
  bool future_import = false;
  const auto early = early_annotation(context.host_path(file), future_import);
  if (!early || future_import) {
    return ok(fmt::format("{} has no annotation evaluated before its class", relative.string()));
  }
  const auto interpreter = cell0d_interpreter(context);
  if (!interpreter) {
    return skip("no interpreter for cell0d (see install.python-env)");
  }
  const auto probe = probe_python(context, *interpreter);
  if (!probe->ran) {
    return skip("cell0d's interpreter does not run (see install.python-env)");
  }
  if (util::compare_versions(probe->version, "3.14") >= 0) {
    return ok(fmt::format("Python {} evaluates annotations lazily; {}:{} is harmless",
                          probe->version,
                          relative.string(),
                          early->line));
  }
  Finding finding =
      fail("CELL0D_IMPORT_NAMEERROR",
           fmt::format("cell0d dies at import on Python {}: {}:{} annotates with {} before the "
                       "class is defined at line {} (NameError)",
                       probe->version,
                       relative.string(),
                       early->line,
                       early->name,
                       early->class_line),
           fmt::format("sed -i '1i from __future__ import annotations' {}",
                       shell_quote(file.string())));
  finding.details = fmt::format(
      "NameError is not ImportError, so cell0d's try/except fallback does not catch it and the "
      "daemon exits with status 1 before binding a port, whatever starts it (the gateway, "
      "systemd, python -m cell0.cell0d). Interpreter: {} ({}).",
      interpreter->path.string(),
      interpreter->why);
  return finding;
}

} // namespace

extern const Check install_cell0d_imports{
    .id = "install.cell0d-imports",
    .title = "cell0d's modules import on its Python version",
    .tags = tag_doctor,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(4000),
    .touches = touch_files | touch_processes,
    .run = run,
};

} // namespace cell0ctl::checks
