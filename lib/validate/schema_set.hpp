// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The schemas of one `validate-config --schema` run: the schema file, and the documents its
// remote `$ref`s resolve to, found only through `--ref-map URL-PREFIX=DIR` and the `$id`s of
// the files in `--schema-dir` folders, never over the network.

#include "lib/config/node.hpp"
#include "lib/schema/validator.hpp"

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace cell0ctl::validate {

struct SchemaSources
{
  // (URL prefix, folder): "https://example.com/schemas/" -> "vendor/schemas"; a ref below the
  // prefix is the file at the rest of its path below the folder.
  std::vector<std::pair<std::string, std::filesystem::path>> ref_map;
  // Folders whose *.json, *.yaml and *.yml files (recursively) are known by their `$id`.
  std::vector<std::filesystem::path> schema_dirs;
};

// Parses a --ref-map value "URL-PREFIX=DIR". Throws Error(Errc::usage) without `=` or with
// an empty side.
std::pair<std::string, std::filesystem::path> parse_ref_map(const std::string& value);

class SchemaSet
{
public:
  SchemaSet(schema::Options options, SchemaSources sources);
  ~SchemaSet();
  SchemaSet(const SchemaSet&) = delete;
  SchemaSet& operator=(const SchemaSet&) = delete;

  // Loads the schema file `path` (JSON or YAML) and everything it references. Returns the URI
  // to validate against. Throws Error(Errc::usage) when it cannot be read, parsed or used,
  // naming an unresolvable `$ref` and the flags that resolve it.
  std::string add_file(const std::filesystem::path& path);

  // Adds the schema `document` known as `uri` (a kind's built-in schema). Throws like add_file().
  std::string add_document(const std::string& uri, config::Node document);

  // Validates `instance` against the schema at `uri` (from add_file() or add_document()).
  schema::Result validate(const config::Node& instance, const std::string& uri);

  // The schema node at an absolute keyword location "uri#/json/pointer" of a loaded document,
  // or nullptr (a location inside an embedded resource with its own `$id`).
  const config::Node* node_at(const std::string& location) const;

private:
  std::optional<config::Node> load(const std::string& uri);
  void index_schema_dirs();

  SchemaSources m_sources;
  std::map<std::string, config::Node> m_documents;      // by URI without fragment
  std::map<std::string, std::filesystem::path> m_by_id; // $id -> file, from --schema-dir
  bool m_indexed = false;
  std::vector<std::string> m_unresolved; // URIs asked for and not found, for the error message
  std::unique_ptr<schema::Validator> m_validator;
};

// "file:///abs/path" for a local file (percent-encoding what a URI path may not hold).
std::string file_uri(const std::filesystem::path& path);

} // namespace cell0ctl::validate
