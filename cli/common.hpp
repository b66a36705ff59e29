// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "cli/session.hpp"
#include "lib/check/context.hpp"
#include "lib/check/render.hpp"
#include "lib/check/runner.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace cell0ctl::cli {

// Logs for -v to stderr, as text ("cell0ctl: ...") or JSON lines (--log-format json).
class Log
{
public:
  Log(const GlobalOptions& options, Session& session);

  bool enabled(int level) const { return m_verbosity >= level; }
  void info(std::string_view message) const;
  void debug(std::string_view message) const;

private:
  void write(std::string_view level, std::string_view message) const;

  int m_verbosity;
  bool m_json;
  Session& m_session;
};

// Resolves what every check-running command needs from the global options: cell0ctl's
// settings, the Cell 0 home and the endpoints, logging at -v where each came from.
// Throws Error (config 78, usage 64).
std::shared_ptr<Inputs> make_inputs(const GlobalOptions& options, Session& session);

// Whether to colour the text written to stdout.
bool use_color(const GlobalOptions& options, const Session& session);

// Throws Error(Errc::usage) unless `format` is one of `allowed` (comma-separated).
void require_format(const std::string& format, std::string_view allowed);

// The exit status of a report: 78 when a check found cell0ctl's own settings invalid, then
// 2 failures, 3 unknown, 1 warnings when `fail_on_warn`, else 0.
int report_exit_status(const Report& report, bool fail_on_warn);

} // namespace cell0ctl::cli
