// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// `validate-config` as a library call: finds the configuration files below the paths given,
// loads each one, validates it against `--schema` or against the schema and rules of its
// kind, and returns every finding; printing is the caller's (lib/validate/render.hpp).

#include "lib/schema/validator.hpp"
#include "lib/validate/finding.hpp"
#include "lib/validate/schema_set.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace cell0ctl::validate {

struct Request
{
  std::vector<std::filesystem::path> paths; // files and folders
  std::optional<std::filesystem::path> schema;
  SchemaSources sources;
  schema::Options schema_options;
  std::string kind; // --kind: every file is of this kind; empty: detect
  std::optional<std::filesystem::path> env_file;
};

// The result of one file.
struct FileReport
{
  std::string file;
  std::string kind; // the kind's name; "" for --schema or an unknown kind
  Tally tally;
};

// A file found in a folder that is not checked: no Cell 0 config file or manifest (captured
// HTTP responses, package.json, ...), or a kind that cannot be validated as it is (a Helm
// template). A file named on the command line is never skipped silently.
struct Skipped
{
  std::string file;
  std::string reason; // "not a Cell 0 config file"
};

struct Report
{
  std::vector<FileReport> files; // in discovery order
  std::vector<Skipped> skipped;  // in discovery order
  std::vector<Finding> findings; // by file (discovery order), then line and column
  Tally tally;
};

// A file to check, and whether the user named it (rather than a folder holding it).
struct Candidate
{
  std::filesystem::path path;
  bool named = false;
};

// Expands `paths`: a file is taken as given (whatever its name), a folder recursively for
// *.json, *.yaml, *.yml and .env files (`.env`, `.env.*`, `*.env`), in name order, skipping
// node_modules, .git and Python virtual environments. A path that does not exist becomes an
// error finding in `problems`.
std::vector<Candidate> discover(const std::vector<std::filesystem::path>& paths,
                                std::vector<Finding>& problems);

// Runs the whole validation. Without --schema and --kind, each file is checked as the kind
// detected from its name and content; a file of no known kind is skipped when a folder scan
// found it, and gets an `unknown-kind` warning when it was named. Throws Error(Errc::usage) for a
// request that cannot run: an unknown --kind, an unusable schema, an unreadable --env-file. An
// unreadable or broken configuration file is a finding, not an exception.
Report run(const Request& request);

} // namespace cell0ctl::validate
