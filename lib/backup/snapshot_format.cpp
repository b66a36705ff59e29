// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/snapshot_format.hpp"

#include "lib/core/error.hpp"
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

std::vector<nlohmann::json> chain(const Repository& repository, const std::string& id)
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
    manifests.push_back(repository.read_manifest(next));
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

std::string file_sha256(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  util::Sha256 sha;
  std::vector<char> block(1u << 20u);
  while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
    sha.update(std::string_view(block.data(), static_cast<std::size_t>(in.gcount())));
  }
  return sha.hex();
}

} // namespace cell0ctl::backup::format
