// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/snapshot_format.hpp"

#include "lib/core/error.hpp"
#include "lib/crypto/age_stream.hpp"
#include "lib/util/sha256.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <set>

namespace fs = std::filesystem;

namespace cell0ctl::backup::format {

BlockRuns runs_of(const nlohmann::json& file)
{
  BlockRuns runs;
  for (const auto& run : file.at("runs")) {
    runs.emplace_back(run.at(0).get<std::uint64_t>(), run.at(1).get<std::uint64_t>());
  }
  return runs;
}

Keys load_keys(const std::vector<fs::path>& identity_files, const fs::path& cache_dir)
{
  Keys keys;
  keys.cache_dir = cache_dir;
  for (const fs::path& file : identity_files) {
    for (auto& identity : age::read_identity_file(file)) {
      keys.identities.push_back(std::move(identity));
    }
  }
  return keys;
}

fs::path cache_folder(const Repository& repository, const fs::path& cache_dir)
{
  return cache_dir / "manifests"
         / util::sha256_hex(fs::absolute(repository.root()).lexically_normal().string()).substr(0, 16);
}

bool encrypted(const nlohmann::json& manifest)
{
  return manifest.value("encrypted", false);
}

fs::path archive_of(const Repository& repository, const nlohmann::json& manifest)
{
  const std::string id = manifest.value("id", "");
  if (const auto it = manifest.find("archive"); it != manifest.end() && it->contains("name")) {
    return repository.root() / "snapshots" / (*it)["name"].get<std::string>();
  }
  return repository.archive_path(id);
}

nlohmann::json load_manifest(const Repository& repository, const std::string& id, const Keys& keys)
{
  nlohmann::json summary = repository.read_manifest(id);
  if (!encrypted(summary)) {
    return summary;
  }
  if (!keys.cache_dir.empty()) {
    std::ifstream in(cache_folder(repository, keys.cache_dir) / (id + ".json"), std::ios::binary);
    if (in) {
      auto cached = nlohmann::json::parse(in, nullptr, false);
      if (cached.is_object() && cached.value("id", "") == id
          && cached.value("archive", nlohmann::json::object()).value("sha256", "")
                 == summary["archive"].value("sha256", "")) {
        return cached;
      }
    }
  }
  if (keys.identities.empty()) {
    throw Error(Errc::usage,
                fmt::format("snapshot {} is encrypted: its file list needs a secret key", id),
                "give the age identity file of one of its recipients: --age-identity FILE");
  }
  const fs::path sealed = repository.root() / "snapshots" / (id + ".manifest.age");
  std::string text;
  age::Decryptor decryptor(keys.identities, [&](std::string_view plain) { text.append(plain); });
  std::ifstream in(sealed, std::ios::binary);
  if (!in) {
    throw Error(Errc::failed, fmt::format("{} is missing", sealed.string()),
                "the snapshot cannot be read; use another one");
  }
  std::vector<char> block(1u << 16u);
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    decryptor.write(std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
  }
  decryptor.finish();
  auto manifest = nlohmann::json::parse(text, nullptr, false);
  if (!manifest.is_object() || manifest.value("id", "") != id) {
    throw Error(Errc::failed, fmt::format("{} is not the manifest of {}", sealed.string(), id));
  }
  return manifest;
}

ArchiveInput::ArchiveInput(const Repository& repository, const nlohmann::json& manifest, const Keys& keys)
    : m_file(std::make_unique<archive::FileInput>(archive_of(repository, manifest)))
{
  if (encrypted(manifest)) {
    if (keys.identities.empty()) {
      throw Error(Errc::usage,
                  fmt::format("snapshot {} is encrypted", manifest.value("id", "")),
                  "give the age identity file of one of its recipients: --age-identity FILE");
    }
    m_decrypting = std::make_unique<age::DecryptingInput>(*m_file, keys.identities);
  }
}

std::vector<nlohmann::json> chain(const Repository& repository, const std::string& id, const Keys& keys)
{
  std::vector<nlohmann::json> manifests;
  std::set<std::string> seen;
  std::string next = id;
  while (!next.empty()) {
    if (!seen.insert(next).second) {
      throw Error(Errc::failed, fmt::format("snapshot {} is its own ancestor", next),
                  "the repository's manifests are damaged; restore another snapshot");
    }
    std::error_code ec;
    if (!fs::exists(repository.manifest_path(next), ec)) {
      throw Error(Errc::failed,
                  fmt::format("snapshot {} needs snapshot {}, which is not in {}", id, next,
                              repository.root().string()),
                  "restore another snapshot (`cell0ctl backup list`); prune never removes a "
                  "snapshot that a kept one needs");
    }
    manifests.push_back(load_manifest(repository, next, keys));
    next = manifests.back().value("parent", std::string());
  }
  std::reverse(manifests.begin(), manifests.end());
  return manifests;
}

std::string rfc3339(std::int64_t time_ns)
{
  const auto seconds = static_cast<std::time_t>(time_ns / 1'000'000'000);
  return fmt::format("{:%Y-%m-%dT%H:%M:%SZ}", fmt::gmtime(seconds));
}

double seconds_since(std::chrono::steady_clock::time_point start)
{
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace cell0ctl::backup::format
