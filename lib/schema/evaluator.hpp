// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// One validation run: the keywords of both drafts, annotations for `unevaluated*`, the
// dynamic scope for `$dynamicRef`. Internal to lib/schema.

#include "lib/schema/registry.hpp"

#include <string>
#include <vector>

namespace cell0ctl::schema {

// What a schema evaluated of one instance (bits by member or item index), the annotations
// `unevaluatedProperties` and `unevaluatedItems` look at.
struct Evaluated
{
  std::vector<bool> properties;
  std::vector<bool> items;

  void mark_property(std::size_t index, std::size_t count);
  void mark_item(std::size_t index, std::size_t count);
  void merge(const Evaluated& other);
};

class Evaluator
{
public:
  Evaluator(Registry& registry, const Options& options) : m_registry(registry), m_options(options)
  {}

  Result run(const config::Node& schema, const config::Node& instance);

private:
  using Errors = std::vector<ValidationError>*; // nullptr: only validity is wanted

  bool eval(const config::Node& schema,
            const config::Node& instance,
            Evaluated& out,
            Errors errors);
  bool eval_object(const config::Node& schema,
                   const config::Node& instance,
                   Evaluated& out,
                   Errors errors);
  bool eval_child(const config::Node& schema,
                  const config::Node& instance,
                  std::string_view token,
                  Errors errors);

  bool applicators(const config::Node& schema,
                   const config::Node& instance,
                   Evaluated& out,
                   Errors errors);
  bool references(const config::Node& schema,
                  const config::Node& instance,
                  Evaluated& out,
                  Errors errors);
  bool conditionals(const config::Node& schema,
                    const config::Node& instance,
                    Evaluated& out,
                    Errors errors);
  bool object_applicators(const config::Node& schema,
                          const config::Node& instance,
                          Evaluated& out,
                          Errors errors);
  bool array_applicators(const config::Node& schema,
                         const config::Node& instance,
                         Evaluated& out,
                         Errors errors);
  bool unevaluated(const config::Node& schema,
                   const config::Node& instance,
                   Evaluated& out,
                   Errors errors);
  bool assertions(const config::Node& schema, const config::Node& instance, Errors errors);
  bool number_assertions(const config::Node& schema, const config::Node& instance, Errors errors);
  bool string_assertions(const config::Node& schema, const config::Node& instance, Errors errors);
  bool array_assertions(const config::Node& schema, const config::Node& instance, Errors errors);
  bool object_assertions(const config::Node& schema, const config::Node& instance, Errors errors);

  // Records an error of `keyword` of `schema` about `instance` (placed at `position` when
  // known, else at the instance).
  void fail(Errors errors,
            const config::Node& schema,
            std::string_view keyword,
            const config::Node& instance,
            std::string message,
            config::Position position = {});

  Draft draft(const config::Node& schema) const;
  const Vocabularies& vocabularies(const config::Node& schema) const;

  Registry& m_registry;
  const Options& m_options;
  std::string m_path; // instance location of the value being evaluated
  std::vector<const Resource*> m_dynamic_scope;
  int m_depth = 0;
};

} // namespace cell0ctl::schema
