// SPDX-License-Identifier: GPL-3.0-or-later
// Applicators: the keywords that apply subschemas, and the annotations they produce.
#include "lib/schema/evaluator.hpp"

#include "lib/core/error.hpp"
#include "lib/schema/uri.hpp"

#include <fmt/format.h>

namespace cell0ctl::schema {

using config::Member;
using config::Node;

namespace {

constexpr int k_max_depth = 1000; // nested schema evaluations

// Restores the instance location when a child evaluation ends.
class PathScope
{
public:
  PathScope(std::string& path, std::string_view token) : m_path(path), m_size(path.size())
  {
    m_path += '/';
    m_path += config::pointer_token(token);
  }
  ~PathScope() { m_path.resize(m_size); }
  PathScope(const PathScope&) = delete;
  PathScope& operator=(const PathScope&) = delete;

private:
  std::string& m_path;
  std::size_t m_size;
};

const Node* schema_at(const Node& schema, std::string_view keyword)
{
  const Node* value = schema.find(keyword);
  return value != nullptr && (value->is_object() || value->is_bool()) ? value : nullptr;
}

} // namespace

void Evaluated::mark_property(std::size_t index, std::size_t count)
{
  properties.resize(count);
  properties[index] = true;
}

void Evaluated::mark_item(std::size_t index, std::size_t count)
{
  items.resize(count);
  items[index] = true;
}

void Evaluated::merge(const Evaluated& other)
{
  properties.resize(std::max(properties.size(), other.properties.size()));
  for (std::size_t i = 0; i < other.properties.size(); ++i) {
    properties[i] = properties[i] || other.properties[i];
  }
  items.resize(std::max(items.size(), other.items.size()));
  for (std::size_t i = 0; i < other.items.size(); ++i) {
    items[i] = items[i] || other.items[i];
  }
}

Result Evaluator::run(const Node& schema, const Node& instance)
{
  Result result;
  Evaluated ignored;
  result.valid = eval(schema, instance, ignored, &result.errors);
  return result;
}

Draft Evaluator::draft(const Node& schema) const
{
  const SchemaInfo* info = m_registry.info(schema);
  return info != nullptr ? info->resource->draft : m_options.default_draft;
}

const Vocabularies& Evaluator::vocabularies(const Node& schema) const
{
  static const Vocabularies k_all;
  const SchemaInfo* info = m_registry.info(schema);
  return info != nullptr ? info->resource->vocabularies : k_all;
}

void Evaluator::fail(Errors errors,
                     const Node& schema,
                     std::string_view keyword,
                     const Node& instance,
                     std::string message,
                     config::Position position)
{
  if (errors == nullptr) {
    return;
  }
  ValidationError error;
  error.instance_location = m_path;
  error.position = position.known() ? position : instance.position();
  const SchemaInfo* info = m_registry.info(schema);
  std::string location = info != nullptr
                             ? info->resource->uri + "#" + fragment_encode(info->pointer)
                             : std::string("#");
  if (!keyword.empty()) {
    location += "/" + fragment_encode(config::pointer_token(keyword));
  }
  error.keyword_location = std::move(location);
  const Node* value = keyword.empty() ? nullptr : schema.find(keyword);
  error.schema_position = value != nullptr ? value->position() : schema.position();
  error.keyword = std::string(keyword);
  error.message = std::move(message);
  errors->push_back(std::move(error));
}

bool Evaluator::eval(const Node& schema, const Node& instance, Evaluated& out, Errors errors)
{
  if (schema.is_bool()) {
    if (!schema.as_bool()) {
      fail(errors, schema, "", instance, "no value is allowed here (the schema is false)");
    }
    return schema.as_bool();
  }
  if (!schema.is_object()) {
    return true; // not a schema: nothing to apply
  }
  if (++m_depth > k_max_depth) {
    m_depth = 0;
    throw Error(Errc::failed,
                fmt::format("schema evaluation deeper than {} levels at {} (a $ref cycle?)",
                            k_max_depth,
                            m_path.empty() ? "the root" : m_path));
  }
  const SchemaInfo* info = m_registry.info(schema);
  const bool entered =
      info != nullptr && (m_dynamic_scope.empty() || m_dynamic_scope.back() != info->resource);
  if (entered) {
    m_dynamic_scope.push_back(info->resource);
  }
  const bool valid = eval_object(schema, instance, out, errors);
  if (entered) {
    m_dynamic_scope.pop_back();
  }
  --m_depth;
  return valid;
}

bool Evaluator::eval_object(const Node& schema, const Node& instance, Evaluated& out, Errors errors)
{
  if (draft(schema) == Draft::draft7 && schema.find("$ref") != nullptr) {
    return references(schema, instance, out, errors); // siblings of a draft-07 $ref are ignored
  }
  bool valid = references(schema, instance, out, errors);
  const Vocabularies& vocabularies = this->vocabularies(schema);
  if (vocabularies.validation) {
    valid = assertions(schema, instance, errors) && valid;
  }
  if (vocabularies.applicator) {
    valid = applicators(schema, instance, out, errors) && valid;
  }
  if (vocabularies.unevaluated && draft(schema) == Draft::draft2020_12) {
    valid = unevaluated(schema, instance, out, errors) && valid;
  }
  return valid;
}

bool Evaluator::eval_child(const Node& schema,
                           const Node& instance,
                           std::string_view token,
                           Errors errors)
{
  const PathScope scope(m_path, token);
  Evaluated ignored;
  return eval(schema, instance, ignored, errors);
}

bool Evaluator::references(const Node& schema, const Node& instance, Evaluated& out, Errors errors)
{
  bool valid = true;
  if (const RefTarget* ref = m_registry.ref(schema)) {
    Evaluated evaluated;
    if (eval(*ref->target, instance, evaluated, errors)) {
      out.merge(evaluated);
    } else {
      valid = false;
    }
  }
  if (const RefTarget* ref = m_registry.dynamic_ref(schema)) {
    const Node* target = ref->target;
    if (!ref->dynamic_name.empty()) {
      // The outermost resource of the dynamic scope with this dynamic anchor wins.
      for (const Resource* resource : m_dynamic_scope) {
        const auto it = resource->dynamic_anchors.find(ref->dynamic_name);
        if (it != resource->dynamic_anchors.end()) {
          target = it->second;
          break;
        }
      }
    }
    Evaluated evaluated;
    if (eval(*target, instance, evaluated, errors)) {
      out.merge(evaluated);
    } else {
      valid = false;
    }
  }
  return valid;
}

bool Evaluator::applicators(const Node& schema, const Node& instance, Evaluated& out, Errors errors)
{
  bool valid = true;
  if (const Node* all = schema.find("allOf"); all != nullptr && all->is_array()) {
    for (const Node& sub : all->items()) {
      Evaluated evaluated;
      if (eval(sub, instance, evaluated, errors)) {
        out.merge(evaluated);
      } else {
        valid = false;
      }
    }
  }
  if (const Node* any = schema.find("anyOf"); any != nullptr && any->is_array()) {
    bool matched = false;
    for (const Node& sub : any->items()) {
      Evaluated evaluated;
      if (eval(sub, instance, evaluated, nullptr)) {
        out.merge(evaluated);
        matched = true;
      }
    }
    if (!matched) {
      fail(errors,
           schema,
           "anyOf",
           instance,
           fmt::format("matches none of the {} alternatives of anyOf", any->items().size()));
      valid = false;
    }
  }
  if (const Node* one = schema.find("oneOf"); one != nullptr && one->is_array()) {
    std::vector<std::size_t> matches;
    for (std::size_t i = 0; i < one->items().size(); ++i) {
      Evaluated evaluated;
      if (eval(one->items()[i], instance, evaluated, nullptr)) {
        if (matches.empty()) {
          out.merge(evaluated);
        }
        matches.push_back(i);
      }
    }
    if (matches.empty()) {
      fail(errors,
           schema,
           "oneOf",
           instance,
           fmt::format("matches none of the {} alternatives of oneOf", one->items().size()));
      valid = false;
    } else if (matches.size() > 1) {
      fail(errors,
           schema,
           "oneOf",
           instance,
           fmt::format(
               "matches alternatives {} and {} of oneOf, not exactly one", matches[0], matches[1]));
      valid = false;
    }
  }
  if (const Node* negated = schema_at(schema, "not")) {
    Evaluated ignored;
    if (eval(*negated, instance, ignored, nullptr)) {
      fail(errors, schema, "not", instance, "matches the schema it must not (not)");
      valid = false;
    }
  }
  valid = conditionals(schema, instance, out, errors) && valid;
  if (instance.is_object()) {
    valid = object_applicators(schema, instance, out, errors) && valid;
  }
  if (instance.is_array()) {
    valid = array_applicators(schema, instance, out, errors) && valid;
  }
  return valid;
}

bool Evaluator::conditionals(const Node& schema,
                             const Node& instance,
                             Evaluated& out,
                             Errors errors)
{
  const Node* condition = schema_at(schema, "if");
  if (condition == nullptr) {
    return true;
  }
  Evaluated evaluated;
  const bool holds = eval(*condition, instance, evaluated, nullptr);
  if (holds) {
    out.merge(evaluated);
  }
  const Node* branch = schema_at(schema, holds ? "then" : "else");
  if (branch == nullptr) {
    return true;
  }
  Evaluated branch_evaluated;
  if (!eval(*branch, instance, branch_evaluated, errors)) {
    return false;
  }
  out.merge(branch_evaluated);
  return true;
}

bool Evaluator::object_applicators(const Node& schema,
                                   const Node& instance,
                                   Evaluated& out,
                                   Errors errors)
{
  bool valid = true;
  const Node::Object& members = instance.members();
  const Node* properties = schema.find("properties");
  const Node* patterns = schema.find("patternProperties");
  const Node* additional = schema_at(schema, "additionalProperties");
  for (std::size_t i = 0; i < members.size(); ++i) {
    const Member& member = members[i];
    bool matched = false;
    if (const Node* sub = properties != nullptr ? schema_at(*properties, member.key) : nullptr) {
      matched = true;
      valid = eval_child(*sub, member.value, member.key, errors) && valid;
    }
    if (patterns != nullptr && patterns->is_object()) {
      for (const Member& pattern : patterns->members()) {
        if (m_registry.regexes().get(pattern.key).search(member.key)) {
          matched = true;
          valid = eval_child(pattern.value, member.value, member.key, errors) && valid;
        }
      }
    }
    if (!matched && additional != nullptr) {
      matched = true;
      if (additional->is_bool() && !additional->as_bool()) {
        const PathScope scope(m_path, member.key);
        fail(errors,
             schema,
             "additionalProperties",
             member.value,
             fmt::format("property '{}' is not allowed", member.key),
             member.key_position);
        valid = false;
      } else {
        valid = eval_child(*additional, member.value, member.key, errors) && valid;
      }
    }
    if (matched) {
      out.mark_property(i, members.size());
    }
  }
  if (const Node* names = schema_at(schema, "propertyNames")) {
    for (const Member& member : members) {
      const Node name(member.key, member.key_position);
      const PathScope scope(m_path, member.key);
      Evaluated ignored;
      if (!eval(*names, name, ignored, nullptr)) {
        fail(errors,
             schema,
             "propertyNames",
             name,
             fmt::format("property name '{}' is not allowed by propertyNames", member.key));
        valid = false;
      }
    }
  }
  const bool draft7 = draft(schema) == Draft::draft7;
  if (const Node* dependent = schema.find(draft7 ? "dependencies" : "dependentSchemas");
      dependent != nullptr && dependent->is_object()) {
    for (const Member& dependency : dependent->members()) {
      if (instance.find(dependency.key) == nullptr || dependency.value.is_array()) {
        continue; // an array under draft-07 `dependencies` is checked with the assertions
      }
      Evaluated evaluated;
      if (eval(dependency.value, instance, evaluated, errors)) {
        out.merge(evaluated);
      } else {
        valid = false;
      }
    }
  }
  return valid;
}

bool Evaluator::array_applicators(const Node& schema,
                                  const Node& instance,
                                  Evaluated& out,
                                  Errors errors)
{
  bool valid = true;
  const Node::Array& items = instance.items();
  const bool draft7 = draft(schema) == Draft::draft7;
  // draft-07: `items` as an array is positional, `additionalItems` takes the rest.
  const Node* positional = schema.find(draft7 ? "items" : "prefixItems");
  const Node* rest = draft7 ? (positional != nullptr && positional->is_array()
                                   ? schema_at(schema, "additionalItems")
                                   : schema_at(schema, "items"))
                            : schema_at(schema, "items");
  std::size_t first_rest = 0;
  if (positional != nullptr && positional->is_array()) {
    first_rest = positional->items().size();
    for (std::size_t i = 0; i < std::min(first_rest, items.size()); ++i) {
      valid = eval_child(positional->items()[i], items[i], std::to_string(i), errors) && valid;
      out.mark_item(i, items.size());
    }
  }
  if (rest != nullptr) {
    for (std::size_t i = first_rest; i < items.size(); ++i) {
      valid = eval_child(*rest, items[i], std::to_string(i), errors) && valid;
      out.mark_item(i, items.size());
    }
  }
  if (const Node* contains = schema_at(schema, "contains")) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < items.size(); ++i) {
      const PathScope scope(m_path, std::to_string(i));
      Evaluated ignored;
      if (eval(*contains, items[i], ignored, nullptr)) {
        ++count;
        out.mark_item(i, items.size());
      }
    }
    const Node* min = draft7 ? nullptr : schema.find("minContains");
    const Node* max = draft7 ? nullptr : schema.find("maxContains");
    const double minimum = min != nullptr && min->is_number() ? min->as_double() : 1;
    if (static_cast<double>(count) < minimum) {
      fail(errors,
           schema,
           min != nullptr ? "minContains" : "contains",
           instance,
           fmt::format("has {} items matching 'contains', fewer than {}", count, minimum));
      valid = false;
    }
    if (max != nullptr && max->is_number() && static_cast<double>(count) > max->as_double()) {
      fail(errors,
           schema,
           "maxContains",
           instance,
           fmt::format("has {} items matching 'contains', more than {}", count, max->as_double()));
      valid = false;
    }
  }
  return valid;
}

bool Evaluator::unevaluated(const Node& schema, const Node& instance, Evaluated& out, Errors errors)
{
  bool valid = true;
  if (const Node* sub = schema_at(schema, "unevaluatedItems");
      sub != nullptr && instance.is_array()) {
    const Node::Array& items = instance.items();
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (i < out.items.size() && out.items[i]) {
        continue;
      }
      if (sub->is_bool() && !sub->as_bool()) {
        const PathScope scope(m_path, std::to_string(i));
        fail(
            errors, schema, "unevaluatedItems", items[i], fmt::format("item {} is not allowed", i));
        valid = false;
      } else {
        valid = eval_child(*sub, items[i], std::to_string(i), errors) && valid;
      }
    }
    for (std::size_t i = 0; i < items.size(); ++i) {
      out.mark_item(i, items.size());
    }
  }
  if (const Node* sub = schema_at(schema, "unevaluatedProperties");
      sub != nullptr && instance.is_object()) {
    const Node::Object& members = instance.members();
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i < out.properties.size() && out.properties[i]) {
        continue;
      }
      const Member& member = members[i];
      if (sub->is_bool() && !sub->as_bool()) {
        const PathScope scope(m_path, member.key);
        fail(errors,
             schema,
             "unevaluatedProperties",
             member.value,
             fmt::format("property '{}' is not allowed", member.key),
             member.key_position);
        valid = false;
      } else {
        valid = eval_child(*sub, member.value, member.key, errors) && valid;
      }
    }
    for (std::size_t i = 0; i < members.size(); ++i) {
      out.mark_property(i, members.size());
    }
  }
  return valid;
}

} // namespace cell0ctl::schema
