// SPDX-License-Identifier: GPL-3.0-or-later
// Verifying a snapshot: its archive's hash, every stored file and delta against the manifest,
// and the presence of the snapshots it builds on.
#include "lib/backup/snapshot.hpp"

#include "lib/archive/archive.hpp"
#include "lib/backup/snapshot_format.hpp"
#include "lib/core/error.hpp"
#include "lib/util/sha256.hpp"

#include <fmt/format.h>

#include <map>

namespace fs = std::filesystem;

namespace cell0ctl::backup {

VerifyResult verify_snapshot(const Repository& repository, const std::string& id,
                             const VerifyOptions& options)
{
  const auto start = std::chrono::steady_clock::now();
  VerifyResult result;
  result.id = id;
  const format::Keys keys = format::load_keys(options.age_identity_files, options.cache_dir);
  const nlohmann::json summary = repository.read_manifest(id);
  // Without a key an encrypted snapshot's stored bytes are all that can be checked.
  const bool content = !format::encrypted(summary) || !keys.identities.empty();
  if (!content) {
    result.note = "encrypted: only the stored bytes were checked (give --age-identity to check every file)";
  }
  const nlohmann::json manifest = content ? format::load_manifest(repository, id, keys) : summary;
  if (const std::string parent = manifest.value("parent", ""); !parent.empty()) {
    try {
      std::string link_id = parent;
      for (int depth = 0; !link_id.empty() && depth < 100'000; ++depth) {
        if (!fs::exists(repository.manifest_path(link_id))) {
          result.problems.push_back(fmt::format("snapshot {} builds on {}, which is missing", id, link_id));
          break;
        }
        const nlohmann::json link = repository.read_manifest(link_id);
        if (!fs::exists(format::archive_of(repository, link))) {
          result.problems.push_back(
              fmt::format("snapshot {} builds on {}, whose archive is missing", id, link_id));
        }
        link_id = link.value("parent", "");
      }
    } catch (const Error& e) {
      result.problems.push_back(e.what());
    }
  }
  const fs::path archive_path = format::archive_of(repository, summary);
  std::error_code ec;
  if (!fs::exists(archive_path, ec)) {
    result.problems.push_back(fmt::format("{}: the archive is missing", archive_path.string()));
    return result;
  }
  const std::string expected_archive = manifest["archive"].value("sha256", "");
  if (util::file_sha256(archive_path) != expected_archive) {
    result.problems.push_back(fmt::format("{}: SHA-256 differs from the manifest's",
                                          archive_path.filename().string()));
  }
  if (!content) {
    result.seconds = format::seconds_since(start);
    return result;
  }
  // What the archive must hold: whole files under their path, deltas under theirs.
  std::map<std::string, std::string> expected;
  for (const auto& file : manifest["files"]) {
    if (!format::has_content(file)) {
      continue;
    }
    const std::string stored = format::stored(file);
    if (stored == "whole") {
      expected[file["path"].get<std::string>()] = file["sha256"].get<std::string>();
    } else if (stored == "tail" || stored == "blocks") {
      expected[file["delta"].get<std::string>()] = file["delta_sha256"].get<std::string>();
    }
  }
  try {
    format::ArchiveInput input(repository, manifest, keys);
    archive::read(input.input(), [&](const archive::Entry& entry,
                                    const std::function<bool(std::string_view&)>& next_block) {
      if (entry.type != archive::Entry::Type::file) {
        return;
      }
      util::Sha256 sha;
      std::string_view block;
      while (next_block(block)) {
        sha.update(block);
        result.bytes += block.size();
      }
      const auto it = expected.find(entry.path);
      if (it == expected.end()) {
        if (entry.path != format::k_inner_manifest) {
          result.problems.push_back(fmt::format("{}: in the archive but not in the manifest", entry.path));
        }
        return;
      }
      if (sha.hex() != it->second) {
        result.problems.push_back(fmt::format("{}: content differs from the manifest", entry.path));
      }
      ++result.files;
      expected.erase(it);
    });
  } catch (const Error& e) {
    result.problems.push_back(fmt::format("{}: {}", archive_path.filename().string(), e.what()));
  }
  for (const auto& [path, sha] : expected) {
    result.problems.push_back(fmt::format("{}: in the manifest but missing from the archive", path));
  }
  result.seconds = format::seconds_since(start);
  return result;
}

} // namespace cell0ctl::backup
