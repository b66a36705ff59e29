// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/validate/schema_set.hpp"

#include "lib/config/document.hpp"
#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <cctype>
#include <system_error>

namespace fs = std::filesystem;

namespace cell0ctl::validate {

namespace {

std::string without_fragment(const std::string& uri)
{
  const std::size_t hash = uri.find('#');
  return hash == std::string::npos ? uri : uri.substr(0, hash);
}

// Reads a schema file (JSON, or YAML for .yaml/.yml); throws Error(Errc::usage).
config::Node read_schema_file(const fs::path& path)
{
  config::Document document;
  try {
    document = config::load(path);
  } catch (const Error& e) {
    throw Error(Errc::usage, fmt::format("schema {}: {}", path.string(), e.what()), e.hint());
  }
  if (!document.ok()) {
    throw Error(Errc::usage,
                fmt::format("schema {}", config::describe(path.string(), document.errors.front())),
                "fix the schema file");
  }
  if (document.documents.size() != 1) {
    throw Error(Errc::usage,
                fmt::format("schema {}: expected one document, found {}",
                            path.string(),
                            document.documents.size()));
  }
  return std::move(document.documents.front());
}

bool is_schema_file_name(const fs::path& path)
{
  const std::string extension = path.extension().string();
  return extension == ".json" || extension == ".yaml" || extension == ".yml";
}

} // namespace

std::pair<std::string, fs::path> parse_ref_map(const std::string& value)
{
  const std::size_t equals = value.rfind('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == value.size()) {
    throw Error(Errc::usage,
                fmt::format("--ref-map '{}': expected URL-PREFIX=DIR", value),
                "e.g. --ref-map https://example.com/schemas/=vendor/schemas");
  }
  return {value.substr(0, equals), fs::path(value.substr(equals + 1))};
}

std::string file_uri(const fs::path& path)
{
  const std::string text = fs::absolute(path).lexically_normal().generic_string();
  std::string uri = "file://";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0
        || std::string_view("/-._~!$&'()*+,;=:@").find(c) != std::string::npos) {
      uri += c;
    } else {
      uri += fmt::format("%{:02X}", static_cast<unsigned>(u));
    }
  }
  return uri;
}

SchemaSet::SchemaSet(schema::Options options, SchemaSources sources)
    : m_sources(std::move(sources)),
      m_validator(std::make_unique<schema::Validator>(
          options, [this](const std::string& uri) { return load(uri); }))
{}

SchemaSet::~SchemaSet() = default;

std::string SchemaSet::add_file(const fs::path& path)
{
  config::Node document = read_schema_file(path);
  return add_document(file_uri(path), std::move(document));
}

std::string SchemaSet::add_document(const std::string& uri, config::Node document)
{
  m_documents[uri] = document;
  try {
    return m_validator->add_schema(uri, std::move(document));
  } catch (const Error& e) {
    std::string hint = e.hint();
    if (!m_unresolved.empty()) {
      hint = fmt::format("remote references are never fetched: map '{}' to a local folder with "
                         "--ref-map URL-PREFIX=DIR, or give the folder of a schema with that $id "
                         "with --schema-dir DIR",
                         m_unresolved.front());
    }
    throw Error(Errc::usage, fmt::format("schema {}: {}", uri, e.what()), hint);
  }
}

schema::Result SchemaSet::validate(const config::Node& instance, const std::string& uri)
{
  try {
    return m_validator->validate(instance, uri);
  } catch (const Error& e) {
    throw Error(Errc::usage, fmt::format("schema {}: {}", uri, e.what()), e.hint());
  }
}

const config::Node* SchemaSet::node_at(const std::string& location) const
{
  const std::size_t hash = location.find('#');
  const auto it = m_documents.find(location.substr(0, hash));
  if (it == m_documents.end()) {
    return nullptr;
  }
  return hash == std::string::npos ? &it->second
                                   : config::at_pointer(it->second, location.substr(hash + 1));
}

std::optional<config::Node> SchemaSet::load(const std::string& uri)
{
  const std::string bare = without_fragment(uri);
  for (const auto& [prefix, folder] : m_sources.ref_map) {
    if (bare.starts_with(prefix)) {
      const fs::path file = folder / bare.substr(prefix.size());
      std::error_code ec;
      if (fs::is_regular_file(file, ec)) {
        config::Node document = read_schema_file(file);
        m_documents[bare] = document;
        return document;
      }
    }
  }
  index_schema_dirs();
  if (const auto it = m_by_id.find(bare); it != m_by_id.end()) {
    config::Node document = read_schema_file(it->second);
    m_documents[bare] = document;
    return document;
  }
  m_unresolved.push_back(bare);
  return std::nullopt;
}

void SchemaSet::index_schema_dirs()
{
  if (m_indexed) {
    return;
  }
  m_indexed = true;
  for (const fs::path& folder : m_sources.schema_dirs) {
    std::error_code ec;
    if (!fs::is_directory(folder, ec)) {
      throw Error(Errc::usage,
                  fmt::format("--schema-dir {}: not a folder", folder.string()),
                  "give a folder of schema files");
    }
    for (fs::recursive_directory_iterator it(folder, ec), end; it != end && !ec; it.increment(ec)) {
      if (!it->is_regular_file(ec) || !is_schema_file_name(it->path())) {
        continue;
      }
      config::Document document;
      try {
        document = config::load(it->path());
      } catch (const Error&) {
        continue; // unreadable: a ref to it stays unresolved and is reported as such
      }
      if (!document.ok() || document.documents.size() != 1) {
        continue; // not a schema: ignored, as a folder may hold other files
      }
      if (const config::Node* id = document.documents.front().find("$id");
          id != nullptr && id->is_string()) {
        m_by_id.emplace(without_fragment(id->as_string()), it->path());
      }
    }
  }
}

} // namespace cell0ctl::validate
