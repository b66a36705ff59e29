// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The kinds of configuration file `validate-config` knows without `--schema`: the Cell 0
// config files and deployment manifests. There is one table of kinds, cell0::kinds()
// (lib/validate/kinds.hpp); this header is its face for the command: each kind with its
// schema, detection of a file's kind, and the rules of a kind (lib/validate/rules.hpp). To add
// a kind: add it to cell0::kinds() and cell0::detect_kind(), its schema to schemas/cell0 (and
// lib/meson.build), its rules to check_rules().

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
  std::string_view name;    // stable, for --kind and --export-schema: "cell0.json"
  std::string_view summary; // one line: "~/.cell0/cell0.json, the gateway's configuration"
  // The kind's JSON Schema as JSON text (draft 2020-12), printed by --export-schema; empty
  // for a kind that cannot be validated as it is (a Helm template must be rendered first).
  std::string_view schema;
  std::string schema_uri; // the schema's `$id`: "urn:cell0ctl:schemas:cell0:cell0.json"
};

// Every known kind, sorted by name. The pointers live as long as the program.
const std::vector<const Kind*>& all_kinds();

// The kind called `name`, or nullptr.
const Kind* find_kind(std::string_view name);

// The kind of `document`, read from `path`, from its name and content; nullptr for a file of
// no known kind (not a Cell 0 config file or manifest).
const Kind* detect_kind(const std::filesystem::path& path, const config::Document& document);

// Runs the rules of `kind` over `input`: the problems no schema can say. Called after schema
// validation, also for a document that broke the schema, never for an unreadable file.
std::vector<Finding> check_kind(const Kind& kind, const KindInput& input);

// "a, b, c": for messages.
std::string known_kind_names();

// The names of the kinds with a schema, for --export-schema: "a, b, c".
std::string schema_kind_names();

} // namespace cell0ctl::validate
