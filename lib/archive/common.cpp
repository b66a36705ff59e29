// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/archive/common.hpp"

#include <algorithm>

namespace cell0ctl::archive::detail {

const char* const k_damaged_hint =
    "the archive is damaged or incomplete: use another snapshot, or copy this one again";

Utf8Names::Utf8Names()
{
  static const locale_t utf8 = ::newlocale(LC_CTYPE_MASK, "C.UTF-8", nullptr);
  if (utf8 != nullptr) {
    m_previous = ::uselocale(utf8);
  }
}

Utf8Names::~Utf8Names()
{
  if (m_previous != nullptr) {
    ::uselocale(m_previous);
  }
}

std::string message_of(::archive* handle)
{
  const char* text = archive_error_string(handle);
  return text != nullptr ? text : "unknown libarchive error";
}

// --- Paths ---

CleanPath clean_path(std::string_view raw)
{
  if (!raw.empty() && raw.front() == '/') {
    return {std::string(raw), PathProblem::absolute};
  }
  std::string out;
  std::size_t start = 0;
  while (start <= raw.size()) {
    const std::size_t end = std::min(raw.find('/', start), raw.size());
    const std::string_view element = raw.substr(start, end - start);
    if (element == "..") {
      return {std::string(raw), PathProblem::dot_dot};
    }
    if (!element.empty() && element != ".") {
      out += out.empty() ? "" : "/";
      out += element;
    }
    start = end + 1;
  }
  return {out, out.empty() ? PathProblem::empty : PathProblem::none};
}

std::string_view problem_text(PathProblem problem)
{
  switch (problem) {
  case PathProblem::none:
    break;
  case PathProblem::empty:
    return "empty path";
  case PathProblem::absolute:
    return "absolute path";
  case PathProblem::dot_dot:
    return "path contains '..'";
  }
  return "";
}

const char* pathname_of(archive_entry* entry)
{
  const char* name = archive_entry_pathname(entry);
  return name != nullptr ? name : archive_entry_pathname_utf8(entry);
}

std::string_view type_name(unsigned type)
{
  switch (type) {
  case AE_IFCHR:
    return "a character device";
  case AE_IFBLK:
    return "a block device";
  case AE_IFIFO:
    return "a fifo";
  case AE_IFSOCK:
    return "a socket";
  default:
    return "an entry of unknown type";
  }
}

} // namespace cell0ctl::archive::detail
