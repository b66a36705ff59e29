// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/schema/registry.hpp"

#include "lib/config/document.hpp"
#include "lib/core/error.hpp"
#include "lib/schema/uri.hpp"

#include <fmt/format.h>

#include <array>

namespace cell0ctl::schema {

using config::Node;

namespace {

constexpr std::string_view k_vocab_2020 = "https://json-schema.org/draft/2020-12/vocab/";

// Keywords whose value is a schema, an array of schemas or an object of schemas, per draft.
constexpr std::array k_single_2020 = {"items",
                                      "additionalProperties",
                                      "unevaluatedItems",
                                      "unevaluatedProperties",
                                      "contains",
                                      "propertyNames",
                                      "not",
                                      "if",
                                      "then",
                                      "else",
                                      "contentSchema"};
constexpr std::array k_single_7 = {"items",
                                   "additionalItems",
                                   "additionalProperties",
                                   "contains",
                                   "propertyNames",
                                   "not",
                                   "if",
                                   "then",
                                   "else"};
constexpr std::array k_arrays_2020 = {"allOf", "anyOf", "oneOf", "prefixItems"};
constexpr std::array k_arrays_7 = {"allOf", "anyOf", "oneOf", "items"};
constexpr std::array k_maps_2020 = {
    "$defs", "definitions", "properties", "patternProperties", "dependentSchemas"};
constexpr std::array k_maps_7 = {"definitions", "properties", "patternProperties", "dependencies"};

const std::string* string_member(const Node& schema, std::string_view key)
{
  const Node* value = schema.find(key);
  return value != nullptr && value->is_string() ? &value->as_string() : nullptr;
}

} // namespace

std::optional<Draft> draft_for_uri(const std::string& uri)
{
  const std::string bare = split_fragment(uri).first;
  if (bare == "https://json-schema.org/draft/2020-12/schema"
      || bare == "https://json-schema.org/draft/2019-09/schema") {
    return Draft::draft2020_12;
  }
  if (bare == "http://json-schema.org/draft-07/schema"
      || bare == "https://json-schema.org/draft-07/schema") {
    return Draft::draft7;
  }
  return std::nullopt;
}

std::string Registry::add(const std::string& uri, Node schema, Draft draft)
{
  const std::string bare = split_fragment(uri).first;
  const Node& root = m_documents.emplace_back(std::move(schema));
  Resource& resource = m_resource_store.emplace_back();
  resource.uri = bare;
  resource.root = &root;
  ++m_adding;
  try {
    resource.draft = draft_of(root, draft, resource.vocabularies);
    m_resources[bare] = &resource;
    index(root, Walk{bare, &resource, "", resource.draft});
  } catch (...) {
    --m_adding;
    throw;
  }
  --m_adding;
  // With an `$id`, the root belongs to that resource; the retrieval URI names it too.
  const SchemaInfo* root_info = info(root);
  const Resource* canonical = root_info != nullptr ? root_info->resource : &resource;
  m_resources[bare] = const_cast<Resource*>(canonical);
  if (m_adding == 0) {
    resolve_pending();
  }
  return canonical->uri;
}

Draft Registry::draft_of(const Node& schema, Draft fallback, Vocabularies& vocabularies)
{
  const std::string* uri = schema.is_object() ? string_member(schema, "$schema") : nullptr;
  if (uri == nullptr) {
    return fallback;
  }
  if (const std::optional<Draft> known = draft_for_uri(*uri)) {
    return *known;
  }
  // A custom metaschema: its own `$schema` gives the draft, its `$vocabulary` the keywords.
  const Resource* meta = find_or_load(split_fragment(*uri).first, fallback);
  if (meta == nullptr || !meta->root->is_object()) {
    return fallback;
  }
  if (const Node* declared = meta->root->find("$vocabulary");
      declared != nullptr && declared->is_object()) {
    const auto has = [declared](std::string_view name) {
      return declared->find(std::string(k_vocab_2020) + std::string(name)) != nullptr;
    };
    vocabularies = {has("applicator"), has("validation"), has("unevaluated")};
  }
  return meta->draft;
}

Resource* Registry::enter_resource(const Node& schema, Walk& walk, const std::string& uri)
{
  Resource& resource = m_resource_store.emplace_back();
  resource.uri = uri;
  resource.root = &schema;
  resource.vocabularies = walk.resource->vocabularies;
  resource.draft = draft_of(schema, walk.draft, resource.vocabularies);
  m_resources[uri] = &resource;
  walk = Walk{uri, &resource, "", resource.draft};
  return &resource;
}

void Registry::index(const Node& schema, Walk walk)
{
  if (!schema.is_object()) {
    m_info.try_emplace(&schema, SchemaInfo{walk.resource, walk.pointer});
    return;
  }
  const bool draft7 = walk.draft == Draft::draft7;
  // In draft-07 a `$ref` makes its siblings, `$id` included, be ignored.
  const bool ignore_id = draft7 && schema.find("$ref") != nullptr;
  if (const std::string* id = string_member(schema, "$id"); id != nullptr && !ignore_id) {
    if (draft7 && id->starts_with('#')) {
      walk.resource->anchors[id->substr(1)] = &schema;
    } else {
      auto [uri, fragment] = split_fragment(resolve_uri(walk.base, *id));
      if (uri != walk.resource->uri || walk.resource->root != &schema) {
        enter_resource(schema, walk, uri);
      }
      if (draft7 && !fragment.empty()) {
        walk.resource->anchors[fragment] = &schema;
      }
    }
  }
  m_info[&schema] = SchemaInfo{walk.resource, walk.pointer};
  if (!draft7) {
    if (const std::string* anchor = string_member(schema, "$anchor")) {
      walk.resource->anchors[*anchor] = &schema;
    }
    if (const std::string* anchor = string_member(schema, "$dynamicAnchor")) {
      walk.resource->anchors[*anchor] = &schema;
      walk.resource->dynamic_anchors[*anchor] = &schema;
    }
    if (string_member(schema, "$dynamicRef") != nullptr) {
      m_pending.push_back({&schema, walk.base, walk.draft, true});
    }
  }
  if (string_member(schema, "$ref") != nullptr) {
    m_pending.push_back({&schema, walk.base, walk.draft, false});
  }
  // Compile patterns now, so that a bad one is a schema error, not a validation surprise.
  try {
    if (const std::string* pattern = string_member(schema, "pattern")) {
      m_regexes.get(*pattern);
    }
    if (const Node* patterns = schema.find("patternProperties");
        patterns != nullptr && patterns->is_object()) {
      for (const config::Member& member : patterns->members()) {
        m_regexes.get(member.key);
      }
    }
  } catch (const Error& e) {
    throw Error(e.code(),
                fmt::format("schema {}#{}: {}", walk.resource->uri, walk.pointer, e.what()));
  }
  index_children(schema, walk);
}

void Registry::index_children(const Node& schema, const Walk& walk)
{
  const bool draft7 = walk.draft == Draft::draft7;
  const auto child = [this, &walk](const Node& node, const std::string& suffix) {
    Walk next = walk;
    next.pointer += suffix;
    index(node, std::move(next));
  };
  for (const config::Member& member : schema.members()) {
    const std::string& key = member.key;
    const Node& value = member.value;
    const std::string prefix = "/" + config::pointer_token(key);
    const auto is = [&key](const auto& list) {
      return std::find(list.begin(), list.end(), key) != list.end();
    };
    if (draft7 ? is(k_single_7) : is(k_single_2020)) {
      if (value.is_object() || value.is_bool()) {
        child(value, prefix);
      }
    }
    if ((draft7 ? is(k_arrays_7) : is(k_arrays_2020)) && value.is_array()) {
      for (std::size_t i = 0; i < value.items().size(); ++i) {
        child(value.items()[i], prefix + "/" + std::to_string(i));
      }
    }
    if ((draft7 ? is(k_maps_7) : is(k_maps_2020)) && value.is_object()) {
      for (const config::Member& entry : value.members()) {
        if (entry.value.is_object() || entry.value.is_bool()) {
          child(entry.value, prefix + "/" + config::pointer_token(entry.key));
        }
      }
    }
  }
}

Resource* Registry::find_or_load(const std::string& uri, Draft draft)
{
  if (const auto it = m_resources.find(uri); it != m_resources.end()) {
    return it->second;
  }
  std::optional<Node> document;
  for (const auto& [builtin_uri, text] : builtin_metaschemas()) {
    if (builtin_uri == uri) {
      config::Document parsed = config::parse(text, config::Format::json, uri);
      document = std::move(parsed.documents.at(0));
    }
  }
  if (!document && m_loader) {
    document = m_loader(uri);
  }
  if (!document) {
    return nullptr;
  }
  add(uri, std::move(*document), draft);
  return m_resources.at(uri);
}

const Node& Registry::resolve(const std::string& uri, Draft draft)
{
  const auto [bare, fragment] = split_fragment(uri);
  const Resource* resource = find_or_load(bare, draft);
  if (resource == nullptr) {
    throw Error(Errc::failed,
                fmt::format("cannot resolve '{}': no schema is known at {}", uri, bare),
                "give the schema's folder with --schema-dir, or a --ref-map for its URL");
  }
  const std::string name = percent_decode(fragment);
  const Node* target = nullptr;
  if (name.empty()) {
    target = resource->root;
  } else if (name.front() == '/') {
    target = config::at_pointer(*resource->root, name);
    if (target != nullptr && info(*target) == nullptr) {
      // A pointer into a place not known to hold a schema: take it as one.
      index(*target, Walk{resource->uri, const_cast<Resource*>(resource), name, resource->draft});
    }
  } else if (const auto it = resource->anchors.find(name); it != resource->anchors.end()) {
    target = it->second;
  }
  if (target == nullptr) {
    throw Error(Errc::failed,
                fmt::format("cannot resolve '{}': no such location in {}", uri, bare));
  }
  return *target;
}

void Registry::resolve_pending()
{
  while (!m_pending.empty()) {
    const Pending pending = m_pending.back();
    m_pending.pop_back();
    const char* keyword = pending.dynamic ? "$dynamicRef" : "$ref";
    const std::string uri = resolve_uri(pending.base, pending.schema->find(keyword)->as_string());
    RefTarget target;
    target.target = &resolve(uri, pending.draft);
    if (pending.dynamic) {
      const auto [bare, fragment] = split_fragment(uri);
      const SchemaInfo* target_info = info(*target.target);
      if (!fragment.empty() && fragment.front() != '/' && target_info != nullptr) {
        const auto& anchors = target_info->resource->dynamic_anchors;
        const auto it = anchors.find(fragment);
        if (it != anchors.end() && it->second == target.target) {
          target.dynamic_name = fragment;
        }
      }
      m_dynamic_refs[pending.schema] = target;
    } else {
      m_refs[pending.schema] = target;
    }
  }
}

const SchemaInfo* Registry::info(const Node& schema) const
{
  const auto it = m_info.find(&schema);
  return it == m_info.end() ? nullptr : &it->second;
}

const RefTarget* Registry::ref(const Node& schema) const
{
  const auto it = m_refs.find(&schema);
  return it == m_refs.end() ? nullptr : &it->second;
}

const RefTarget* Registry::dynamic_ref(const Node& schema) const
{
  const auto it = m_dynamic_refs.find(&schema);
  return it == m_dynamic_refs.end() ? nullptr : &it->second;
}

} // namespace cell0ctl::schema
