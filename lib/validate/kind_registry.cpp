// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/util/strings.hpp"
#include "lib/validate/kind.hpp"

#include <algorithm>

namespace cell0ctl::validate {

// One `extern const Kind <name>;` line per kind here, then its address in the table below.

const std::vector<const Kind*>& all_kinds()
{
  // Sorted by name. Empty until the Cell 0 kinds land: without --schema, every file is then
  // reported as having no schema.
  static const std::vector<const Kind*> k_kinds = {};
  return k_kinds;
}

const Kind* find_kind(std::string_view name)
{
  const auto& kinds = all_kinds();
  const auto found = std::ranges::find(kinds, name, &Kind::name);
  return found == kinds.end() ? nullptr : *found;
}

const Kind* detect_kind(const std::filesystem::path& path, const config::Document& document)
{
  for (const Kind* kind : all_kinds()) {
    if (kind->detect != nullptr && kind->detect(path, document)) {
      return kind;
    }
  }
  return nullptr;
}

std::string known_kind_names()
{
  std::vector<std::string> names;
  for (const Kind* kind : all_kinds()) {
    names.emplace_back(kind->name);
  }
  return names.empty() ? "none yet" : util::join(names, ", ");
}

} // namespace cell0ctl::validate
