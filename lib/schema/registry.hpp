// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The schema resources a Validator knows: documents, their `$id`s, anchors and resolved
// references. Internal to lib/schema.

#include "lib/schema/regex.hpp"
#include "lib/schema/validator.hpp"

#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace cell0ctl::schema {

// Which vocabularies a resource's metaschema enables (all unless its `$vocabulary` says).
struct Vocabularies
{
  bool applicator = true;
  bool validation = true;
  bool unevaluated = true;
};

struct Resource
{
  std::string uri; // absolute, without fragment
  const config::Node* root = nullptr;
  Draft draft = Draft::draft2020_12;
  Vocabularies vocabularies;
  std::unordered_map<std::string, const config::Node*> anchors;
  std::unordered_map<std::string, const config::Node*> dynamic_anchors;
};

// Where a schema (object or boolean) sits: its resource and the JSON pointer from its root.
struct SchemaInfo
{
  const Resource* resource = nullptr;
  std::string pointer;
};

// A resolved `$ref` or `$dynamicRef`; `dynamic_name` is set when a `$dynamicRef` starts at a
// `$dynamicAnchor` of that name and so resolves through the dynamic scope.
struct RefTarget
{
  const config::Node* target = nullptr;
  std::string dynamic_name;
};

class Registry
{
public:
  Registry(Options options, Loader loader) : m_options(options), m_loader(std::move(loader)) {}

  // Stores `schema` as retrieved from `uri`, indexes it and resolves its references
  // (loading what they name). Returns its canonical URI. Throws Error(Errc::failed).
  std::string add(const std::string& uri, config::Node schema, Draft draft);

  // The schema at absolute `uri` (with fragment: empty, a JSON pointer or an anchor).
  // Throws Error(Errc::failed) when it cannot be found.
  const config::Node& resolve(const std::string& uri, Draft draft);

  const SchemaInfo* info(const config::Node& schema) const;
  const RefTarget* ref(const config::Node& schema) const;
  const RefTarget* dynamic_ref(const config::Node& schema) const;

  RegexCache& regexes() { return m_regexes; }

private:
  struct Pending
  {
    const config::Node* schema;
    std::string base;
    Draft draft;
    bool dynamic;
  };

  struct Walk
  {
    std::string base;
    Resource* resource;
    std::string pointer;
    Draft draft;
  };

  void index(const config::Node& schema, Walk walk);
  void index_children(const config::Node& schema, const Walk& walk);
  Resource* enter_resource(const config::Node& schema, Walk& walk, const std::string& uri);
  Draft draft_of(const config::Node& schema, Draft fallback, Vocabularies& vocabularies);
  void resolve_pending();
  Resource* find_or_load(const std::string& uri, Draft draft);

  Options m_options;
  Loader m_loader;
  RegexCache m_regexes;
  std::deque<config::Node> m_documents; // stable addresses
  std::deque<Resource> m_resource_store;
  std::unordered_map<std::string, Resource*> m_resources;
  std::unordered_map<const config::Node*, SchemaInfo> m_info;
  std::unordered_map<const config::Node*, RefTarget> m_refs;
  std::unordered_map<const config::Node*, RefTarget> m_dynamic_refs;
  std::vector<Pending> m_pending;
  int m_adding = 0; // nested add() calls; references are resolved when the outermost ends
};

// The draft a `$schema` URI names, if it names one.
std::optional<Draft> draft_for_uri(const std::string& uri);

} // namespace cell0ctl::schema
