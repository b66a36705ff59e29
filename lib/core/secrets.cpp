// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/secrets.hpp"

#include "lib/util/sha256.hpp"

namespace cell0ctl {

std::string redact(std::string_view secret, bool show)
{
  if (show) {
    return std::string(secret);
  }
  if (secret.empty()) {
    return "(empty)";
  }
  return "***" + util::sha256_hex(secret).substr(0, 6);
}

} // namespace cell0ctl
