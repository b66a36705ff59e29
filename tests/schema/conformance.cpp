// SPDX-License-Identifier: GPL-3.0-or-later
// Runs the required tests of the JSON Schema Test Suite (draft2020-12 and draft7) against
// schema::Validator, prints the counts per draft, and fails when a test fails that is not in
// the known-failures list, or when a listed test now passes (so that the list shrinks).
//
// Usage: schema-conformance KNOWN-FAILURES-FILE [--print-failures]
// The suite is $CELL0CTL_SHARED/json-schema-test-suite; without it the program exits 77
// (skipped). Remote references to http://localhost:1234/ resolve to its remotes/ folder.

#include "lib/config/document.hpp"
#include "lib/core/error.hpp"
#include "lib/schema/validator.hpp"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <set>
#include <string>
#include <vector>

namespace fs = std::filesystem;
using namespace cell0ctl;

namespace {

constexpr std::string_view k_remote_prefix = "http://localhost:1234/";

struct Counts
{
  int passed = 0;
  int failed = 0;
};

fs::path suite_dir()
{
  const char* shared = std::getenv("CELL0CTL_SHARED");
  if (shared == nullptr || *shared == '\0') {
    return {};
  }
  const fs::path path = fs::path(shared) / "json-schema-test-suite";
  return fs::is_directory(path / "tests") ? path : fs::path();
}

config::Node load_json(const fs::path& path)
{
  config::Document document = config::load(path, config::Format::json);
  if (!document.ok() || document.documents.size() != 1) {
    throw Error(Errc::failed, "cannot read " + path.string());
  }
  return std::move(document.documents.front());
}

schema::Loader remote_loader(const fs::path& remotes)
{
  return [remotes](const std::string& uri) -> std::optional<config::Node> {
    if (!uri.starts_with(k_remote_prefix)) {
      return std::nullopt;
    }
    const fs::path file = remotes / uri.substr(k_remote_prefix.size());
    if (!fs::is_regular_file(file)) {
      return std::nullopt;
    }
    return load_json(file);
  };
}

// Runs one test file; appends the ids of failed tests to `failures`.
Counts run_file(const fs::path& file,
                const std::string& draft_name,
                schema::Draft draft,
                const fs::path& remotes,
                std::vector<std::string>& failures)
{
  Counts counts;
  const config::Node groups = load_json(file);
  for (std::size_t g = 0; g < groups.items().size(); ++g) {
    const config::Node& group = groups.items()[g];
    const std::string group_id = draft_name + "/" + file.filename().string() + " | "
                                 + group.find("description")->as_string();
    schema::Validator validator({.default_draft = draft, .assert_formats = false},
                                remote_loader(remotes));
    std::string uri;
    std::string setup_error;
    try {
      uri = validator.add_schema("file:///cell0ctl-suite/" + draft_name + "/schema.json",
                                 *group.find("schema"));
    } catch (const Error& e) {
      setup_error = e.what();
    }
    for (const config::Node& test : group.find("tests")->items()) {
      const std::string id = group_id + " | " + test.find("description")->as_string();
      bool passed = false;
      std::string why = setup_error;
      if (setup_error.empty()) {
        try {
          const schema::Result result = validator.validate(*test.find("data"), uri);
          passed = result.valid == test.find("valid")->as_bool();
          if (!passed) {
            why = result.valid ? "valid, expected invalid"
                               : "invalid: "
                                     + (result.errors.empty() ? std::string("(no error)")
                                                              : result.errors.front().message);
          }
        } catch (const Error& e) {
          why = e.what();
        }
      }
      if (passed) {
        ++counts.passed;
      } else {
        ++counts.failed;
        failures.push_back(id);
        if (std::getenv("CONFORMANCE_VERBOSE") != nullptr) {
          std::cerr << "FAIL " << id << ": " << why << "\n";
        }
      }
    }
  }
  return counts;
}

std::set<std::string> read_known(const fs::path& path)
{
  std::set<std::string> known;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.front() != '#') {
      known.insert(line);
    }
  }
  return known;
}

} // namespace

int main(int argc, char** argv)
{
  if (argc < 2) {
    std::cerr << "usage: schema-conformance KNOWN-FAILURES-FILE [--print-failures]\n";
    return 64;
  }
  const fs::path suite = suite_dir();
  if (suite.empty()) {
    std::cout << "schema-conformance: skipped, no json-schema-test-suite below $CELL0CTL_SHARED\n";
    return 77;
  }
  const bool print_failures = argc > 2 && std::string_view(argv[2]) == "--print-failures";
  const std::set<std::string> known = read_known(argv[1]);
  std::vector<std::string> failures;
  const std::vector<std::pair<std::string, schema::Draft>> drafts = {
      {"draft2020-12", schema::Draft::draft2020_12}, {"draft7", schema::Draft::draft7}};
  for (const auto& [name, draft] : drafts) {
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(suite / "tests" / name)) {
      if (entry.is_regular_file() && entry.path().extension() == ".json") {
        files.push_back(entry.path());
      }
    }
    std::sort(files.begin(), files.end());
    Counts total;
    for (const fs::path& file : files) {
      const Counts counts = run_file(file, name, draft, suite / "remotes", failures);
      total.passed += counts.passed;
      total.failed += counts.failed;
    }
    std::cout << name << ": " << total.passed << " passed, " << total.failed << " failed of "
              << total.passed + total.failed << " required tests\n";
  }
  if (print_failures) {
    for (const std::string& id : failures) {
      std::cout << id << "\n";
    }
  }
  int status = 0;
  const std::set<std::string> failed(failures.begin(), failures.end());
  for (const std::string& id : failed) {
    if (!known.contains(id)) {
      std::cout << "unexpected failure: " << id << "\n";
      status = 1;
    }
  }
  for (const std::string& id : known) {
    if (!failed.contains(id)) {
      std::cout << "now passes, remove it from the known failures: " << id << "\n";
      status = 1;
    }
  }
  return status;
}
