// SPDX-License-Identifier: GPL-3.0-or-later
#include "checks/registry.hpp"

#include <doctest/doctest.h>

#include <map>
#include <regex>
#include <set>
#include <string>

using namespace cell0ctl;

TEST_CASE("the check registry")
{
  const auto checks = checks::all_checks();
  std::set<std::string_view> ids;
  std::map<std::string_view, std::size_t> position;
  for (std::size_t i = 0; i < checks.size(); ++i) {
    ids.insert(checks[i]->id);
    position[checks[i]->id] = i;
  }

  SUBCASE("ids are unique and well-formed: group.thing, lowercase, - inside words")
  {
    CHECK(ids.size() == checks.size());
    const std::regex form("^[a-z][a-z0-9]*\\.[a-z][a-z0-9]*(-[a-z0-9]+)*$");
    for (const Check* check : checks) {
      CHECK_MESSAGE(std::regex_match(std::string(check->id), form), check->id);
      CHECK_MESSAGE(!check->title.empty(), check->id);
      const bool runs = check->run != nullptr;
      CHECK_MESSAGE(runs, check->id);
      CHECK_MESSAGE(check->timeout.count() > 0, check->id);
      CHECK_MESSAGE(check->touches != 0, check->id);
      CHECK_MESSAGE((check->tags & tag_doctor) != 0, check->id);
    }
  }

  SUBCASE("dependencies exist and come earlier in the list, so there is no cycle")
  {
    for (const Check* check : checks) {
      for (const std::string_view dependency : check->depends_on) {
        REQUIRE_MESSAGE(ids.count(dependency) == 1, check->id << " depends on " << dependency);
        CHECK_MESSAGE(position[dependency] < position[check->id], check->id);
      }
    }
  }

  SUBCASE("checks of a group stand together")
  {
    std::set<std::string_view> closed;
    std::string_view current;
    for (const Check* check : checks) {
      if (check->group() != current) {
        CHECK_MESSAGE(closed.count(check->group()) == 0, check->id);
        closed.insert(current);
        current = check->group();
      }
    }
  }

  SUBCASE("find_check finds every id and nothing else")
  {
    for (const Check* check : checks) {
      CHECK(checks::find_check(check->id) == check);
    }
    CHECK(checks::find_check("ollama") == nullptr);
    CHECK(checks::find_check("no.such-check") == nullptr);
  }
}
