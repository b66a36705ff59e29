// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/config/text_index.hpp"

#include <algorithm>

namespace cell0ctl::config {

TextIndex::TextIndex(std::string_view text) : m_text(text)
{
  m_line_starts.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' || (text[i] == '\r' && (i + 1 == text.size() || text[i + 1] != '\n'))) {
      m_line_starts.push_back(i + 1);
    }
  }
}

Position TextIndex::position(std::size_t offset) const
{
  offset = std::min(offset, m_text.size());
  const auto next = std::upper_bound(m_line_starts.begin(), m_line_starts.end(), offset);
  const std::size_t line = static_cast<std::size_t>(next - m_line_starts.begin());
  const std::size_t start = m_line_starts[line - 1];
  int column = 1;
  for (std::size_t i = start; i < offset; ++i) {
    // UTF-8 continuation bytes (10xxxxxx) do not start a code point.
    if ((static_cast<unsigned char>(m_text[i]) & 0xC0U) != 0x80U) {
      ++column;
    }
  }
  return {static_cast<int>(line), column};
}

} // namespace cell0ctl::config
