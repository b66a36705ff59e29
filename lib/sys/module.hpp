// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// cell0ctl's own modules: parts that link heavy libraries (libcurl, libarchive, libsodium),
// loaded by the commands that use them, so that the others start in a few milliseconds.

#include <string>

namespace cell0ctl {

// dlopen()s `name` ("cell0ctl-http.so") from $CELL0CTL_MODULE_DIR, beside the executable,
// <executable>/../<libdir>/cell0ctl, then the configured <prefix>/<libdir>/cell0ctl, and
// returns the symbol `entry` of it. Throws Error(Errc::unknown) naming what it tried.
void* load_module_symbol(const std::string& name, const std::string& entry);

} // namespace cell0ctl
