// SPDX-License-Identifier: GPL-3.0-or-later
// install.python-env: the interpreter cell0d would run with can import what cell0d imports.
// Cell 0's own doctor asks ~/.cell0/.venv, which its bootstrap creates empty, while the
// gateway runs cell0d from <root>/.venv; this asks the interpreter the gateway would pick.
#include "checks/common.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

namespace cell0ctl::checks {

namespace {

Finding run(Context& context)
{
  const auto interpreter = cell0d_interpreter(context);
  if (!interpreter) {
    return fail("PYTHON_MISSING",
                "no Python interpreter for cell0d: no venv in the checkout or the Cell 0 home, "
                "and no python3 on PATH",
                "apt-get install python3 python3-venv, then python3 -m venv <root>/.venv && "
                "<root>/.venv/bin/pip install -r <root>/cell0/requirements.txt");
  }
  const std::string name = fmt::format("{} ({})", interpreter->path.string(), interpreter->why);
  const auto probe = probe_python(context, *interpreter);
  if (!probe->ran) {
    return fail("PYTHON_BROKEN",
                fmt::format("{} does not run: {}", name, probe->error),
                fmt::format("recreate the venv: python3 -m venv --clear {}",
                            shell_quote(interpreter->path.parent_path().parent_path().string())));
  }
  const std::string pip = (interpreter->path.parent_path() / "pip").string();
  const std::string install = interpreter->why == "python3 on PATH"
                                  ? "apt-get install python3-fastapi python3-uvicorn, or create "
                                    "<root>/.venv and pip install -r cell0/requirements.txt there"
                                  : fmt::format("{} install 'fastapi>=0.104' 'uvicorn>=0.24'",
                                                shell_quote(pip));
  if (!probe->fastapi || !probe->uvicorn) {
    Finding finding =
        fail(interpreter->bootstrap_venv ? "BOOTSTRAP_VENV" : "PYTHON_DEPS_MISSING",
             fmt::format("cell0d would run with {}, which cannot import {}",
                         name,
                         !probe->fastapi ? "fastapi" : "uvicorn"),
             install);
    finding.details = probe->import_error;
    if (interpreter->bootstrap_venv) {
      finding.details += "\nCell 0's bootstrap creates this venv with pip only; with no venv in "
                         "the checkout, the gateway picks it and cell0d exits at once with "
                         "\"FastAPI not installed\".";
    }
    return finding;
  }
  if (util::compare_versions(*probe->fastapi, "0.93") < 0) {
    Finding finding = warn("FASTAPI_TOO_OLD",
                           fmt::format("{} has fastapi {}, which silently ignores lifespan=: "
                                       "cell0d's startup hook never runs (no agent coordinator, "
                                       "no MLX bridge)",
                                       name,
                                       *probe->fastapi),
                           install);
    return finding;
  }
  Finding finding = ok(fmt::format("{}: Python {}, fastapi {}, uvicorn {}",
                                   name,
                                   probe->version,
                                   *probe->fastapi,
                                   *probe->uvicorn));
  return finding;
}

} // namespace

extern const Check install_python_env{
    .id = "install.python-env",
    .title = "cell0d's interpreter can import fastapi and uvicorn",
    .tags = tag_doctor,
    .depends_on = {"home.exists"},
    .timeout = std::chrono::milliseconds(4000),
    .touches = touch_files | touch_processes,
    .run = run,
};

} // namespace cell0ctl::checks
