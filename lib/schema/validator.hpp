// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A JSON Schema validator for draft 2020-12 and draft-07 over config::Node trees, so that
// every error points at the line and column of the offending value in a YAML or JSON file.
//
// The draft of a schema resource is chosen by its `$schema` (2020-12, 2019-09 treated as
// 2020-12, draft-07), else `Options::default_draft`. `$ref`, `$dynamicRef`, `$anchor`,
// `$dynamicAnchor` and `$id` resolve by RFC 3986 against the enclosing resource; the
// metaschemas of both drafts are built in; any other URI is only loaded through the
// `Loader` given (never over the network). `format` is an annotation unless
// `Options::assert_formats`; custom metaschemas with a `$vocabulary` that leaves out the
// validation or applicator vocabularies turn those keywords off.

#include "lib/config/node.hpp"

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace cell0ctl::schema {

enum class Draft { draft7, draft2020_12 };

struct Options
{
  Draft default_draft = Draft::draft2020_12;
  bool assert_formats = false;
};

// Returns the document for an absolute URI without fragment, or nothing when unknown. May
// throw cell0ctl::Error for a file that exists but cannot be read or parsed.
using Loader = std::function<std::optional<config::Node>(const std::string& uri)>;

// One reason an instance is invalid.
struct ValidationError
{
  std::string instance_location;    // JSON pointer into the instance: "/gateway/port"
  config::Position position;        // of that value (or of the key, for a property name)
  std::string keyword_location;     // absolute: "file:///s.json#/properties/port/maximum"
  config::Position schema_position; // of the keyword's value in the schema file
  std::string keyword;              // "maximum"
  std::string message;              // "18789000 is greater than the maximum 65535"
};

struct Result
{
  bool valid = true;
  std::vector<ValidationError> errors; // in instance order; empty when valid
};

class Validator
{
public:
  explicit Validator(Options options = {}, Loader loader = {});
  ~Validator();
  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  // Adds `schema`, retrieved from the absolute URI `uri` (its base unless it has an `$id`),
  // and every resource it references. Throws cell0ctl::Error(Errc::failed) when it is not a
  // usable schema: a `$ref` that cannot be resolved, an invalid regular expression.
  // Returns the canonical URI to validate against.
  std::string add_schema(const std::string& uri, config::Node schema);

  // Validates `instance` against the schema at `uri` (a URI given to or returned by
  // add_schema(), or any resolvable URI with a fragment). Throws cell0ctl::Error when `uri`
  // is unknown or evaluation hits a limit (recursion deeper than 1000 schemas, a regular
  // expression's match limit).
  Result validate(const config::Node& instance, const std::string& uri);

private:
  class Impl;
  std::unique_ptr<Impl> m_impl;
};

// The built-in metaschema documents: (URI without fragment, JSON text).
const std::vector<std::pair<std::string, std::string_view>>& builtin_metaschemas();

} // namespace cell0ctl::schema
