// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Byte offsets of a text to 1-based lines and columns counted in code points. Internal to
// lib/config.

#include "lib/config/node.hpp"

#include <string_view>
#include <vector>

namespace cell0ctl::config {

class TextIndex
{
public:
  explicit TextIndex(std::string_view text);

  // The position of byte `offset`; an offset past the end is placed just after the last
  // character. "\r\n", "\n" and a lone "\r" each end a line.
  Position position(std::size_t offset) const;

  std::string_view text() const { return m_text; }

private:
  std::string_view m_text;
  std::vector<std::size_t> m_line_starts;
};

} // namespace cell0ctl::config
