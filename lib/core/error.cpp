// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/error.hpp"

#include <utility>

namespace cell0ctl {

Error::Error(Errc code, const std::string& message, std::string hint)
    : std::runtime_error(message), m_code(code), m_hint(std::move(hint))
{
}

} // namespace cell0ctl
