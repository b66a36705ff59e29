// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The kinds of configuration file `validate-config` knows without `--schema`: the Cell 0
// config files and deployment manifests. A kind is data plus functions, listed in one table
// (lib/validate/kind_registry.cpp), like the checks of `doctor` (checks/registry.cpp). To add
// a kind: define an `extern const Kind` in its own file and add it to the table, sorted.

#include "lib/config/document.hpp"
#include "lib/validate/finding.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::validate {

// What a kind's rules may look at besides the document.
struct KindInput
{
  std::string file; // the name to put in findings
  std::filesystem::path path;
  const config::Document& document;
  // The variables of `--env-file`, when given: rules check `${VAR}` against them.
  const std::map<std::string, std::string>* env_file = nullptr;
};

struct Kind
{
  std::string_view name;    // stable, for --kind and --export-schema: "gateway-config"
  std::string_view summary; // one line: "cell0.json, the gateway's configuration"
  // Whether `document`, read from `path`, is of this kind (from its name and content).
  bool (*detect)(const std::filesystem::path& path, const config::Document& document) = nullptr;
  // The kind's JSON Schema as JSON text (draft 2020-12 unless its `$schema` says otherwise),
  // printed by --export-schema; empty when the kind has only rules.
  std::string_view schema;
  // Rules no schema can say; may be null. Called after schema validation, also for a document
  // that broke the schema, never for a file that could not be read.
  std::vector<Finding> (*check)(const KindInput& input) = nullptr;
};

// Every known kind, in the order of the table (sorted by name).
const std::vector<const Kind*>& all_kinds();

// The kind called `name`, or nullptr.
const Kind* find_kind(std::string_view name);

// The first kind of the table whose detect() accepts the file, or nullptr.
const Kind* detect_kind(const std::filesystem::path& path, const config::Document& document);

// "a, b, c", or "none yet" for an empty table: for messages.
std::string known_kind_names();

} // namespace cell0ctl::validate
