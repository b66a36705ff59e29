// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/util/strings.hpp"
#include "lib/validate/kind.hpp"
#include "lib/validate/kinds.hpp"
#include "lib/validate/rules.hpp"

#include <algorithm>
#include <deque>

namespace cell0ctl::validate {

namespace {

// cell0::kinds() is the table; this is the same list with each kind's schema, built once.
// A deque, so that the addresses handed out stay valid.
struct Table
{
  std::deque<Kind> kinds;
  std::vector<const Kind*> pointers;
};

const Table& table()
{
  static const Table k_table = [] {
    Table built;
    for (const cell0::KindInfo& info : cell0::kinds()) {
      const std::string_view schema =
          info.has_schema ? std::string_view(cell0::schema_text(info.id)) : std::string_view();
      built.kinds.push_back(Kind{info.id, info.summary, schema, cell0::schema_uri(info.id)});
      built.pointers.push_back(&built.kinds.back());
    }
    return built;
  }();
  return k_table;
}

std::string names(bool with_schema_only)
{
  std::vector<std::string> found;
  for (const Kind* kind : all_kinds()) {
    if (!with_schema_only || !kind->schema.empty()) {
      found.emplace_back(kind->name);
    }
  }
  return util::join(found, ", ");
}

} // namespace

const std::vector<const Kind*>& all_kinds()
{
  return table().pointers;
}

const Kind* find_kind(std::string_view name)
{
  const auto& kinds = all_kinds();
  const auto found = std::ranges::find(kinds, name, &Kind::name);
  return found == kinds.end() ? nullptr : *found;
}

const Kind* detect_kind(const std::filesystem::path& path, const config::Document& document)
{
  const std::optional<std::string> name = cell0::detect_kind(path, document);
  return name ? find_kind(*name) : nullptr;
}

std::vector<Finding> check_kind(const Kind& kind, const KindInput& input)
{
  const cell0::RuleInput rule_input{input.file, input.path, input.document, input.env_file, {}};
  return cell0::check_rules(kind.name, rule_input);
}

std::string known_kind_names()
{
  return names(false);
}

std::string schema_kind_names()
{
  return names(true);
}

} // namespace cell0ctl::validate
