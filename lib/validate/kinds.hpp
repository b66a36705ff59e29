// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The kinds of Cell 0 configuration file and deployment manifest that `validate-config`
// knows, how each is recognised from its name and content, and its JSON Schema (the files of
// schemas/cell0/, compiled in). Evidence for every kind: reference/cell0-os.md §1.1.

#include "lib/config/document.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cell0ctl::validate::cell0 {

struct KindInfo
{
  std::string_view id;      // stable, for --kind: "app-config"
  std::string_view summary; // one line: "app_config.yaml, the engine's per-environment config"
  bool has_schema = true;   // false for kinds that can only be reported (helm templates)
};

// Every kind, sorted by id.
const std::vector<KindInfo>& kinds();

// The kind of `document`, read from `path`: first from the file name (cell0.json and its
// snapshots, app_config.yaml, tool_profiles.yaml, values*.yaml, prometheus.yml, .env, ...),
// then from the content of its first document (`apiVersion` + `kind`: a Kubernetes manifest;
// `groups[].rules`: alert rules; `scrape_configs`: prometheus; `services`: docker compose;
// ...). A file under a Helm chart's `templates/` is "helm-template" (it must be rendered
// first). Returns nothing for a file that is none of these.
std::optional<std::string> detect_kind(const std::filesystem::path& path,
                                       const config::Document& document);

// The JSON Schema (JSON text, draft 2020-12) of `kind`; empty for a kind without a schema or
// an unknown kind.
const std::string& schema_text(std::string_view kind);

// The URI the schema of `kind` declares as its `$id` ("urn:cell0ctl:schemas:cell0:<kind>").
std::string schema_uri(std::string_view kind);

// The compiled-in schema files of schemas/cell0: (kind, JSON text). Generated at build time
// by lib/validate/embed_schemas.py.
const std::vector<std::pair<std::string_view, std::string_view>>& embedded_schemas();

} // namespace cell0ctl::validate::cell0
