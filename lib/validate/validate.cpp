// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/validate/validate.hpp"

#include "lib/config/document.hpp"
#include "lib/core/error.hpp"
#include "lib/validate/hints.hpp"
#include "lib/validate/kind.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <system_error>

namespace fs = std::filesystem;

namespace cell0ctl::validate {

namespace {

constexpr std::size_t k_max_listed_properties = 12;

bool skipped_folder(const fs::path& folder)
{
  const std::string name = folder.filename().string();
  std::error_code ec;
  return name == "node_modules" || name == ".git" || name == "__pycache__" || name == ".tox"
         || name == "venv" || name == ".venv" || fs::exists(folder / "pyvenv.cfg", ec);
}

Finding file_finding(const std::string& file,
                     Severity severity,
                     std::string message,
                     std::string rule)
{
  return Finding{file, 0, 0, severity, std::move(message), std::move(rule), ""};
}

Finding at(const std::string& file,
           config::Position position,
           std::string message,
           std::string rule)
{
  return Finding{file,
                 position.line,
                 position.known() ? position.column : 0,
                 Severity::error,
                 std::move(message),
                 std::move(rule),
                 ""};
}

Finding load_finding(const std::string& file, const config::Diagnostic& diagnostic)
{
  const bool duplicate = diagnostic.related.known();
  Finding finding =
      at(file, diagnostic.position, diagnostic.message, duplicate ? "duplicate-key" : "syntax");
  if (duplicate) {
    finding.message += fmt::format(" (previously defined at {}:{}:{})",
                                   file,
                                   diagnostic.related.line,
                                   diagnostic.related.column);
    finding.hint = "keep one of the two: only the later value is used";
  }
  return finding;
}

// The last token of a JSON pointer, unescaped.
std::string last_token(const std::string& pointer)
{
  std::string token = pointer.substr(pointer.rfind('/') + 1);
  for (std::size_t at_tilde = token.find('~'); at_tilde != std::string::npos;
       at_tilde = token.find('~', at_tilde + 1)) {
    token.replace(at_tilde, 2, token.compare(at_tilde, 2, "~1") == 0 ? "/" : "~");
  }
  return token;
}

std::string parent_location(const std::string& location)
{
  return location.substr(0, location.rfind('/'));
}

std::vector<std::string> keys_of(const config::Node* object)
{
  std::vector<std::string> keys;
  if (object != nullptr && object->is_object()) {
    for (const config::Member& member : object->members()) {
      keys.push_back(member.key);
    }
  }
  return keys;
}

// The hint for an unknown property: the allowed name closest to it, else the allowed names.
std::string unknown_property_hint(const schema::ValidationError& error, const SchemaSet& schemas)
{
  const config::Node* parent = schemas.node_at(parent_location(error.keyword_location));
  const std::vector<std::string> allowed =
      keys_of(parent != nullptr ? parent->find("properties") : nullptr);
  const std::string name = last_token(error.instance_location);
  if (const auto suggestion = did_you_mean(name, allowed)) {
    return fmt::format("did you mean '{}'?", *suggestion);
  }
  if (allowed.empty()) {
    return "remove it: no property is allowed here";
  }
  if (allowed.size() > k_max_listed_properties) {
    return "remove it, or fix its name";
  }
  std::vector<std::string> quoted;
  for (const std::string& key : allowed) {
    quoted.push_back("'" + key + "'");
  }
  return fmt::format("the properties allowed here are {}", fmt::join(quoted, ", "));
}

// The hint for a missing required property: a present key close to its name.
std::string missing_property_hint(const schema::ValidationError& error,
                                  const config::Node& document)
{
  const std::size_t open = error.message.find('\'');
  const std::size_t close = error.message.find('\'', open + 1);
  if (open == std::string::npos || close == std::string::npos) {
    return {};
  }
  const std::string name = error.message.substr(open + 1, close - open - 1);
  const auto present =
      did_you_mean(name, keys_of(config::at_pointer(document, error.instance_location)));
  return present ? fmt::format("'{}' is present: did you mean '{}'?", *present, name)
                 : std::string();
}

Finding schema_finding(const std::string& file,
                       const schema::ValidationError& error,
                       const config::Node& document,
                       const SchemaSet& schemas)
{
  const std::string where = error.instance_location.empty() ? "/" : error.instance_location;
  Finding finding = at(file,
                       error.position,
                       fmt::format("{}: {}", where, error.message),
                       error.keyword.empty() ? "schema" : "schema/" + error.keyword);
  if (error.keyword == "additionalProperties" || error.keyword == "unevaluatedProperties") {
    finding.hint = unknown_property_hint(error, schemas);
  } else if (error.keyword == "type") {
    if (const config::Node* value = config::at_pointer(document, error.instance_location)) {
      if (error.message.find("integer") != std::string::npos
          || error.message.find("number") != std::string::npos) {
        finding.hint = quoted_number_hint(*value);
      }
    }
  } else if (error.keyword == "required") {
    finding.hint = missing_property_hint(error, document);
  }
  return finding;
}

std::map<std::string, std::string> read_env_file(const fs::path& path)
{
  config::Document document;
  try {
    document = config::load(path, config::Format::env);
  } catch (const Error& e) {
    throw Error(Errc::usage, fmt::format("--env-file {}: {}", path.string(), e.what()));
  }
  if (!document.ok()) {
    throw Error(
        Errc::usage,
        fmt::format("--env-file {}", config::describe(path.string(), document.errors.front())));
  }
  std::map<std::string, std::string> variables;
  for (const config::Node& root : document.documents) {
    for (const config::Member& member :
         root.is_object() ? root.members() : config::Node::Object{}) {
      variables[member.key] = member.value.is_string() ? member.value.as_string() : "";
    }
  }
  return variables;
}

// One run's state: the schemas (the --schema file, the kinds' schemas as they are needed).
class Run
{
public:
  explicit Run(const Request& request)
      : m_request(request), m_schemas(request.schema_options, request.sources)
  {
    if (request.schema) {
      m_schema_uri = m_schemas.add_file(*request.schema);
    }
    if (!request.kind.empty()) {
      m_kind = find_kind(request.kind);
      if (m_kind == nullptr) {
        throw Error(Errc::usage,
                    fmt::format("--kind '{}': unknown kind", request.kind),
                    fmt::format("the known kinds are: {}", known_kind_names()));
      }
    }
    if (request.env_file) {
      m_env = read_env_file(*request.env_file);
    }
  }

  // Checks one file. Returns its reason when the file is skipped (then `out` is untouched).
  std::optional<std::string> check(const Candidate& candidate,
                                   FileReport& report,
                                   std::vector<Finding>& out)
  {
    const fs::path& path = candidate.path;
    report = FileReport{path.string(), "", {}};
    config::Document document;
    try {
      document = config::load(path);
    } catch (const Error& e) {
      out.push_back(file_finding(report.file, Severity::error, e.what(), "read"));
      return std::nullopt;
    }
    const Kind* kind = m_kind;
    if (kind == nullptr && !m_schema_uri) {
      kind = detect_kind(path, document);
      if (const auto reason = skip_reason(kind, document, candidate.named)) {
        return reason;
      }
    }
    if (kind != nullptr) {
      report.kind = kind->name;
    }
    for (const config::Diagnostic& diagnostic : document.errors) {
      out.push_back(load_finding(report.file, diagnostic));
    }
    if (kind == nullptr && !m_schema_uri) {
      out.push_back(file_finding(report.file,
                                 Severity::warning,
                                 "not a Cell 0 config file of a known kind: not checked",
                                 "unknown-kind"));
      out.back().hint =
          fmt::format("name its kind with --kind KIND (one of {}), or a schema with --schema FILE",
                      known_kind_names());
      return std::nullopt;
    }
    if (!m_schema_uri && kind->schema.empty()) {
      out.push_back(file_finding(report.file,
                                 Severity::warning,
                                 fmt::format("{}: not checked", kind->summary),
                                 "not-checked"));
      return std::nullopt;
    }
    const std::optional<std::string> uri = m_schema_uri ? m_schema_uri : kind_schema(*kind);
    for (const config::Node& root : document.documents) {
      for (const schema::ValidationError& error : m_schemas.validate(root, *uri).errors) {
        out.push_back(schema_finding(report.file, error, root, m_schemas));
      }
    }
    if (kind != nullptr) {
      const KindInput input{report.file, path, document, m_request.env_file ? &m_env : nullptr};
      for (Finding& finding : check_kind(*kind, input)) {
        out.push_back(std::move(finding));
      }
    }
    return std::nullopt;
  }

private:
  // Files a folder scan found that are not checked, and why: a file of no known kind that
  // parses (captured responses, package.json); a kind that cannot be validated as it is.
  static std::optional<std::string> skip_reason(const Kind* kind,
                                                const config::Document& document,
                                                bool named)
  {
    if (named) {
      return std::nullopt;
    }
    if (kind == nullptr && document.ok()) {
      return "not a Cell 0 config file";
    }
    if (kind != nullptr && kind->schema.empty()) {
      return std::string(kind->summary);
    }
    return std::nullopt;
  }

  // The URI of the kind's schema, compiled on first use: once per kind and run.
  std::string kind_schema(const Kind& kind)
  {
    const std::string name(kind.name);
    if (const auto it = m_kind_uris.find(name); it != m_kind_uris.end()) {
      return it->second;
    }
    config::Document parsed = config::parse(kind.schema, config::Format::json, name);
    if (!parsed.ok() || parsed.documents.size() != 1) {
      throw Error(Errc::unknown, fmt::format("the built-in schema of kind '{}' is broken", name));
    }
    const std::string uri =
        m_schemas.add_document(kind.schema_uri, std::move(parsed.documents.front()));
    m_kind_uris.emplace(name, uri);
    return uri;
  }

  const Request& m_request;
  SchemaSet m_schemas;
  std::optional<std::string> m_schema_uri;
  const Kind* m_kind = nullptr;
  std::map<std::string, std::string> m_env;
  std::map<std::string, std::string> m_kind_uris;
};

void tally(const std::vector<Finding>& findings, Tally& counts)
{
  for (const Finding& finding : findings) {
    ++(finding.severity == Severity::error ? counts.errors : counts.warnings);
  }
}

} // namespace

std::string_view severity_name(Severity severity)
{
  return severity == Severity::error ? "error" : "warning";
}

std::vector<Candidate> discover(const std::vector<fs::path>& paths, std::vector<Finding>& problems)
{
  std::vector<Candidate> files;
  for (const fs::path& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      if (fs::exists(path, ec)) {
        files.push_back(Candidate{path, true});
      } else {
        problems.push_back(
            file_finding(path.string(), Severity::error, "no such file or folder", "read"));
      }
      continue;
    }
    std::vector<fs::path> found;
    fs::recursive_directory_iterator it(path, fs::directory_options::skip_permission_denied, ec);
    for (const fs::recursive_directory_iterator end; it != end && !ec; it.increment(ec)) {
      if (it->is_directory(ec)) {
        if (skipped_folder(it->path())) {
          it.disable_recursion_pending();
        }
      } else if (it->is_regular_file(ec) && config::format_for(it->path())) {
        found.push_back(it->path());
      }
    }
    if (ec) {
      problems.push_back(file_finding(path.string(), Severity::error, ec.message(), "read"));
    }
    std::sort(found.begin(), found.end());
    for (fs::path& file : found) {
      files.push_back(Candidate{std::move(file), false});
    }
  }
  return files;
}

Report run(const Request& request)
{
  Run state(request);
  Report report;
  std::vector<Finding> problems;
  const std::vector<Candidate> candidates = discover(request.paths, problems);
  for (Finding& problem : problems) {
    FileReport file{problem.file, "", {}};
    ++file.tally.errors;
    report.files.push_back(file);
    report.findings.push_back(std::move(problem));
  }
  for (const Candidate& candidate : candidates) {
    std::vector<Finding> findings;
    FileReport file;
    if (auto reason = state.check(candidate, file, findings)) {
      report.skipped.push_back(Skipped{std::move(file.file), std::move(*reason)});
      continue;
    }
    std::stable_sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
      return std::pair(a.line, a.column) < std::pair(b.line, b.column);
    });
    tally(findings, file.tally);
    report.files.push_back(std::move(file));
    std::move(findings.begin(), findings.end(), std::back_inserter(report.findings));
  }
  tally(report.findings, report.tally);
  return report;
}

} // namespace cell0ctl::validate
