// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "cli/session.hpp"

namespace CLI {
class App;
}

namespace cell0ctl::cli {

// One function per subcommand, in --help order; each adds its CLI::App and callback.
void add_doctor_command(CLI::App& app, GlobalOptions& options, Session& session);
void add_validate_command(CLI::App& app, GlobalOptions& options, Session& session);
void add_backup_command(CLI::App& app, GlobalOptions& options, Session& session);
void add_restore_command(CLI::App& app, GlobalOptions& options, Session& session);

} // namespace cell0ctl::cli
