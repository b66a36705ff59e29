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

VerifyResult verify_snapshot(const Repository& repository, const std::string& id)
{
  const auto start = std::chrono::steady_clock::now();
  VerifyResult result;
  result.id = id;
  const nlohmann::json manifest = repository.read_manifest(id);
  if (const std::string parent = manifest.value("parent", ""); !parent.empty()) {
    try {
      for (const auto& link : format::chain(repository, parent)) {
        const std::string link_id = link.value("id", "");
        if (!fs::exists(repository.archive_path(link_id))) {
          result.problems.push_back(
              fmt::format("snapshot {} builds on {}, whose archive is missing", id, link_id));
        }
      }
    } catch (const Error& e) {
      result.problems.push_back(e.what());
    }
  }
  const fs::path archive_path = repository.archive_path(id);
  std::error_code ec;
  if (!fs::exists(archive_path, ec)) {
    result.problems.push_back(fmt::format("{}: the archive is missing", archive_path.string()));
    return result;
  }
  const std::string expected_archive = manifest["archive"].value("sha256", "");
  if (format::file_sha256(archive_path) != expected_archive) {
    result.problems.push_back(fmt::format("{}: SHA-256 differs from the manifest's",
                                          archive_path.filename().string()));
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
    archive::read(archive_path, [&](const archive::Entry& entry,
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
