// SPDX-License-Identifier: GPL-3.0-or-later
// Creating snapshots: full, differential and incremental (see snapshot_format.hpp).
#include "lib/backup/snapshot.hpp"

#include "lib/archive/archive.hpp"
#include "lib/backup/delta.hpp"
#include "lib/backup/snapshot_format.hpp"
#include "lib/backup/sqlite_copy.hpp"
#include "lib/core/error.hpp"
#include "lib/crypto/age_stream.hpp"
#include "lib/util/sha256.hpp"
#include "lib/util/units.hpp"

#include "cell0ctl_version.hpp"

#include <fmt/format.h>

#include <array>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>

#include <sys/stat.h>
#include <sys/statvfs.h>

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace cell0ctl::backup {

namespace {

constexpr std::uint64_t k_in_memory = 8u << 20u; // files read whole, then re-checked
constexpr int k_retries = 3;

std::string new_id(const std::string& host, std::int64_t time_ns)
{
  std::random_device random;
  return util::sha256_hex(fmt::format("{}/{}/{}", host, time_ns, random())).substr(0, 8);
}

archive::Entry entry_of(const PlannedFile& file, std::uint64_t size)
{
  archive::Entry entry;
  entry.path = file.path;
  entry.type = file.kind == Kind::directory ? archive::Entry::Type::directory
               : file.kind == Kind::symlink ? archive::Entry::Type::symlink
                                            : archive::Entry::Type::file;
  entry.mode = file.mode;
  entry.uid = file.uid;
  entry.gid = file.gid;
  entry.mtime_sec = file.mtime_ns / 1'000'000'000;
  entry.mtime_nsec = static_cast<long>(file.mtime_ns % 1'000'000'000);
  entry.size = size;
  entry.link_target = file.link_target;
  return entry;
}

struct Stamp
{
  std::uint64_t size = 0;
  std::int64_t mtime_ns = 0;
  bool exists = false;
  bool operator==(const Stamp&) const = default;
};

Stamp stamp(const fs::path& path)
{
  struct stat st{};
  if (::lstat(path.c_str(), &st) != 0) {
    return {};
  }
  return {static_cast<std::uint64_t>(st.st_size),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec,
          true};
}

std::optional<std::string> read_whole(const fs::path& path)
{
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// The length of `path` up to and including its last newline, at most `size`.
std::uint64_t complete_lines(const fs::path& path, std::uint64_t size)
{
  std::ifstream in(path, std::ios::binary);
  std::array<char, 65536> block{};
  std::uint64_t end = size;
  while (end > 0) {
    const std::uint64_t start = end > block.size() ? end - block.size() : 0;
    in.seekg(static_cast<std::streamoff>(start));
    in.read(block.data(), static_cast<std::streamsize>(end - start));
    for (std::uint64_t i = end - start; i > 0; --i) {
      if (block[i - 1] == '\n') {
        return start + i;
      }
    }
    end = start;
  }
  return 0;
}

// The bytes of one file to store: held in memory, or the first `size` bytes of a file.
struct Content
{
  std::optional<std::string> memory;
  fs::path file;
  std::uint64_t size = 0;

  // Calls `piece` with the content in order, in blocks of at most 1 MiB.
  template <typename F>
  void each(F&& piece) const
  {
    if (memory) {
      for (std::size_t at = 0; at < memory->size(); at += 1u << 20u) {
        piece(std::string_view(*memory).substr(at, 1u << 20u));
      }
      return;
    }
    std::ifstream in(file, std::ios::binary);
    std::vector<char> block(1u << 20u);
    std::uint64_t left = size;
    while (left > 0) {
      const auto want = static_cast<std::streamsize>(std::min<std::uint64_t>(block.size(), left));
      if (!in.read(block.data(), want)) {
        throw Error(Errc::failed, fmt::format("{}: changed while being read", file.string()));
      }
      piece(std::string_view(block.data(), static_cast<std::size_t>(want)));
      left -= static_cast<std::uint64_t>(want);
    }
  }
};

// SHA-256 of the content, of its first `prefix` bytes, and its block digests.
struct Scan
{
  std::string sha256;
  std::string prefix_sha256;
  std::string blocks;
};

Scan scan(const Content& content, std::uint64_t prefix)
{
  util::Sha256 sha;
  BlockDigests digests;
  const bool want_blocks = content.size >= k_block_digests_from;
  Scan result;
  std::uint64_t at = 0;
  content.each([&](std::string_view piece) {
    if (prefix > at && prefix <= at + piece.size()) {
      sha.update(piece.substr(0, prefix - at));
      result.prefix_sha256 = sha.hex_so_far();
      sha.update(piece.substr(prefix - at));
    } else {
      sha.update(piece);
    }
    if (want_blocks) {
      digests.update(piece);
    }
    at += piece.size();
  });
  result.sha256 = sha.hex();
  result.blocks = digests.finish();
  return result;
}

class SnapshotWriter
{
public:
  SnapshotWriter(archive::Writer& writer, const fs::path& staging, std::int64_t time_ns,
                 std::vector<std::string>& warnings, StoreStats& stats)
      : m_writer(writer), m_staging(staging), m_time_ns(time_ns), m_warnings(warnings), m_stats(stats)
  {
  }

  // Stores one planned file relative to its version `base` in the parent snapshot (null: none,
  // or no parent); returns its manifest entry, or nothing when it vanished.
  std::optional<nlohmann::json> store(const PlannedFile& file, const nlohmann::json* base,
                                      const std::string& parent_id);

private:
  std::optional<Content> read_content(const PlannedFile& file, nlohmann::json& entry);
  void store_whole(const PlannedFile& file, const Content& content, nlohmann::json& entry);
  void store_delta(const PlannedFile& file, const std::string& suffix, const Content& delta,
                   nlohmann::json& entry);
  fs::path staging_file(const PlannedFile& file, std::string_view suffix) const
  {
    return m_staging / (util::sha256_hex(file.path).substr(0, 16) + std::string(suffix));
  }

  archive::Writer& m_writer;
  fs::path m_staging;
  std::int64_t m_time_ns;
  std::vector<std::string>& m_warnings;
  StoreStats& m_stats;
};

std::optional<Content> SnapshotWriter::read_content(const PlannedFile& file, nlohmann::json& entry)
{
  Content content;
  if (file.kind == Kind::sqlite) {
    content.file = staging_file(file, ".db");
    copy_sqlite(file.source, content.file);
    content.size = fs::file_size(content.file);
    entry["note"] = "copied with SQLite's online backup API";
    return content;
  }
  if (file.kind == Kind::jsonl) {
    const Stamp now = stamp(file.source);
    if (!now.exists) {
      m_warnings.push_back(fmt::format("{}: vanished before it was read", file.path));
      return std::nullopt;
    }
    content.file = file.source;
    content.size = complete_lines(file.source, now.size);
    if (content.size < now.size) {
      entry["note"] = fmt::format("cut at its last complete line ({} bytes of a partial line left)",
                                  now.size - content.size);
    }
    return content;
  }
  if (file.size <= k_in_memory) {
    bool steady = false;
    for (int attempt = 0; attempt < k_retries && !steady; ++attempt) {
      const Stamp before = stamp(file.source);
      content.memory = read_whole(file.source);
      if (!before.exists || !content.memory) {
        m_warnings.push_back(fmt::format("{}: vanished before it was read", file.path));
        return std::nullopt;
      }
      steady = stamp(file.source) == before && content.memory->size() == before.size;
    }
    if (!steady) {
      m_warnings.push_back(fmt::format("{}: changed while being read, {} times; stored as last read",
                                       file.path, k_retries));
      entry["note"] = "changed while being read";
    }
    content.size = content.memory->size();
    return content;
  }
  content.file = file.source;
  content.size = stamp(file.source).size;
  return content;
}

void SnapshotWriter::store_whole(const PlannedFile& file, const Content& content, nlohmann::json& entry)
{
  util::Sha256 sha;
  BlockDigests digests;
  const bool want_blocks = content.size >= k_block_digests_from;
  const auto observe = [&](std::string_view block) {
    sha.update(block);
    if (want_blocks) {
      digests.update(block);
    }
  };
  if (content.memory) {
    observe(*content.memory);
    m_writer.add_data(entry_of(file, content.size), *content.memory);
  } else {
    const Stamp before = stamp(content.file);
    m_writer.add_file(entry_of(file, content.size), content.file, observe);
    if (file.kind == Kind::regular && !(stamp(content.file) == before)) {
      m_warnings.push_back(fmt::format("{}: changed while being read (large file, stored as read)",
                                       file.path));
      entry["note"] = "changed while being read";
    }
  }
  entry["size"] = content.size;
  entry["sha256"] = sha.hex();
  if (want_blocks) {
    entry["blocks"] = digests.finish();
  }
  entry["stored"] = "whole";
  ++m_stats.whole;
  m_stats.bytes_stored += content.size;
}

void SnapshotWriter::store_delta(const PlannedFile& file, const std::string& suffix,
                                 const Content& delta, nlohmann::json& entry)
{
  archive::Entry member;
  member.path = fmt::format("{}/{}{}", format::k_delta_folder, file.path, suffix);
  member.mode = 0600;
  member.mtime_sec = m_time_ns / 1'000'000'000;
  member.size = delta.size;
  util::Sha256 sha;
  if (delta.memory) {
    sha.update(*delta.memory);
    m_writer.add_data(member, *delta.memory);
  } else {
    m_writer.add_file(member, delta.file, [&](std::string_view block) { sha.update(block); });
    fs::remove(delta.file);
  }
  entry["delta"] = member.path;
  entry["delta_sha256"] = sha.hex();
  m_stats.bytes_stored += delta.size;
}

std::optional<nlohmann::json> SnapshotWriter::store(const PlannedFile& file, const nlohmann::json* base,
                                                    const std::string& parent_id)
{
  nlohmann::json entry = {{"path", file.path}, {"type", to_string(file.kind)},
                          {"mode", file.mode},  {"uid", file.uid},
                          {"gid", file.gid},    {"mtime_ns", file.mtime_ns}};
  if (file.kind == Kind::directory) {
    m_writer.add_directory(entry_of(file, 0));
    return entry;
  }
  if (file.kind == Kind::symlink) {
    m_writer.add_symlink(entry_of(file, 0));
    entry["target"] = file.link_target;
    return entry;
  }
  if (base != nullptr && !format::has_content(*base)) {
    base = nullptr; // was a folder or a symlink
  }
  const auto unchanged = [&](const nlohmann::json& from) {
    entry["size"] = from["size"];
    entry["sha256"] = from["sha256"];
    // No "blocks": the snapshot "in" has them for this content (see with_base_blocks()); most
    // files of a differential are unchanged, and their digests would be most of its manifest.
    entry["stored"] = "unchanged";
    entry["in"] = format::stored(from) == "unchanged" ? from.value("in", parent_id) : parent_id;
    ++m_stats.unchanged;
    return entry;
  };
  // A regular file or log whose size and mtime did not move is not read at all (as restic and
  // rsync do); SQLite databases are always copied, their mtime says little.
  if (base != nullptr && file.kind != Kind::sqlite && file.size == base->value("size", std::uint64_t{0})
      && file.mtime_ns == base->value("mtime_ns", std::int64_t{0})) {
    return unchanged(*base);
  }
  std::optional<Content> content = read_content(file, entry);
  if (!content) {
    return std::nullopt;
  }
  const auto cleanup = [&] {
    if (file.kind == Kind::sqlite) {
      std::error_code ec;
      fs::remove(content->file, ec);
    }
  };
  if (base == nullptr) {
    store_whole(file, *content, entry);
    cleanup();
    return entry;
  }
  const std::uint64_t base_size = base->value("size", std::uint64_t{0});
  const std::string base_sha = base->value("sha256", "");
  const Scan found = scan(*content, content->size > base_size ? base_size : 0);
  if (found.sha256 == base_sha && content->size == base_size) {
    cleanup();
    return unchanged(*base);
  }
  entry["size"] = content->size;
  entry["sha256"] = found.sha256;
  if (!found.blocks.empty()) {
    entry["blocks"] = found.blocks;
  }
  if (base_size > 0 && content->size > base_size && found.prefix_sha256 == base_sha) {
    // Appended to: store the new tail only.
    Content tail;
    tail.size = content->size - base_size;
    if (content->memory) {
      tail.memory = content->memory->substr(base_size);
    } else {
      tail.file = staging_file(file, ".tail");
      extract_range(content->file, base_size, content->size, tail.file);
    }
    entry["stored"] = "tail";
    entry["tail_from"] = base_size;
    store_delta(file, ".tail", tail, entry);
    ++m_stats.tails;
    cleanup();
    return entry;
  }
  const std::string base_blocks = base->value("blocks", "");
  if (!base_blocks.empty() && !found.blocks.empty()) {
    const BlockRuns runs = changed_blocks(base_blocks, found.blocks);
    // Worth it while less than half the file changed; otherwise the whole file compresses
    // as well and restores in one step.
    if (block_count(runs) * k_block_size * 2 < content->size) {
      Content blocks;
      if (content->memory) {
        blocks.memory.emplace();
        for (const auto& [first, count] : runs) {
          blocks.memory->append(
              std::string_view(*content->memory).substr(first * k_block_size, count * k_block_size));
        }
        blocks.size = blocks.memory->size();
      } else {
        blocks.file = staging_file(file, ".blocks");
        extract_blocks(content->file, content->size, runs, blocks.file);
        blocks.size = fs::file_size(blocks.file);
      }
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [first, count] : runs) {
        list.push_back({first, count});
      }
      entry["stored"] = "blocks";
      entry["runs"] = std::move(list);
      store_delta(file, ".blocks", blocks, entry);
      ++m_stats.blocks;
      cleanup();
      return entry;
    }
  }
  store_whole(file, *content, entry);
  if (entry["sha256"] != found.sha256) {
    m_warnings.push_back(fmt::format("{}: changed while being read; stored as read the second time",
                                     file.path));
  }
  cleanup();
  return entry;
}

void check_space(const Repository& repository, const Plan& plan)
{
  struct statvfs vfs{};
  if (::statvfs(repository.root().c_str(), &vfs) != 0) {
    return;
  }
  const std::uint64_t free = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  // Worst case: nothing compresses. zstd's framing and tar headers stay far below 1% + 1 MiB.
  const std::uint64_t needed = plan.bytes + plan.bytes / 100 + (1u << 20u) + plan.files.size() * 1024;
  if (free < needed) {
    throw Error(Errc::failed,
                fmt::format("not enough free space in {}: {} free, up to {} needed", repository.root().string(),
                            util::format_size(free), util::format_size(needed)),
                "free space there (old snapshots are <id>.tar.zst with <id>.json in its "
                "snapshots/ folder), or use another --repo");
  }
}

// The parent of the new snapshot (empty: a full) and why.
std::pair<std::string, std::string> choose_parent(const Repository& repository,
                                                  const CreateOptions& options, const format::Keys& keys,
                                                  std::int64_t time_ns, std::string& kind)
{
  if (options.kind != "auto" && options.kind != "full" && options.kind != "differential"
      && options.kind != "incremental") {
    throw Error(Errc::usage, fmt::format("unknown snapshot kind '{}'", options.kind),
                "use full, differential, incremental or auto");
  }
  if (options.kind == "full") {
    kind = "full";
    return {"", "asked for a full snapshot"};
  }
  const SnapshotInfo* newest = nullptr;
  const SnapshotInfo* newest_full = nullptr;
  const auto snapshots = repository.list();
  for (const SnapshotInfo& snapshot : snapshots) {
    if (snapshot.host != options.host) {
      continue;
    }
    newest = &snapshot;
    if (snapshot.kind == "full") {
      newest_full = &snapshot;
    }
  }
  kind = "full";
  if (newest_full == nullptr) {
    return {"", "no full snapshot of this host yet"};
  }
  const auto age = std::chrono::nanoseconds(time_ns - newest_full->time_ns);
  if (options.kind == "auto" && age > options.full_every) {
    return {"", fmt::format("the newest full, {}, is older than {}", newest_full->id,
                            util::format_duration(std::chrono::duration_cast<std::chrono::milliseconds>(
                                options.full_every)))};
  }
  const SnapshotInfo* parent = options.kind == "incremental" ? newest : newest_full;
  // A parent whose chain is broken cannot be restored: start again from a full.
  try {
    for (const auto& manifest : format::chain(repository, parent->id, keys)) {
      if (!repository.has_archive(manifest)) {
        return {"", fmt::format("the archive of {} is missing", manifest.value("id", ""))};
      }
    }
  } catch (const Error& e) {
    return {"", e.what()};
  }
  kind = options.kind == "incremental" ? "incremental" : "differential";
  return {parent->id, fmt::format("{} relative to {} {}", kind, parent->kind, parent->id)};
}

// Gives the parent's unchanged entries the block digests of their content, which the snapshot
// holding that content ("in") records, so that a file changed in place since is stored as its
// changed blocks. Without them (a manifest that cannot be read) such a file is stored whole.
void with_base_blocks(const Repository& repository, const format::Keys& keys,
                      std::map<std::string, nlohmann::json>& base)
{
  std::map<std::string, std::optional<std::map<std::string, std::string>>> holders;
  for (auto& [path, entry] : base) {
    if (format::stored(entry) != "unchanged" || entry.contains("blocks") || !entry.contains("in")
        || entry.value("size", std::uint64_t{0}) < k_block_digests_from) {
      continue;
    }
    const std::string in = entry["in"].get<std::string>();
    auto holder = holders.find(in);
    if (holder == holders.end()) {
      std::optional<std::map<std::string, std::string>> digests;
      try {
        digests.emplace();
        const nlohmann::json holder_manifest = format::load_manifest(repository, in, keys);
        for (const auto& file : holder_manifest["files"]) {
          if (file.contains("blocks")) {
            digests->emplace(file["path"].get<std::string>(), file["blocks"].get<std::string>());
          }
        }
      } catch (const Error&) {
        digests.reset();
      }
      holder = holders.emplace(in, std::move(digests)).first;
    }
    if (holder->second) {
      if (const auto found = holder->second->find(path); found != holder->second->end()) {
        entry["blocks"] = found->second;
      }
    }
  }
}

} // namespace

CreateResult create_snapshot(const CreateOptions& options)
{
  const auto start = Clock::now();
  CreateResult result;
  result.plan = make_plan(options.roots, options.selection);
  if (options.dry_run) {
    result.seconds = format::seconds_since(start);
    return result;
  }
  const Repository repository = Repository::open_or_create(options.repository);
  const Lock lock = options.lock_held ? Lock() : repository.lock(Deadline::after(options.lock_wait));
  result.cleaned = repository.clean_orphans();
  // Plan again under the lock: the first plan may be stale after a long wait.
  result.plan = make_plan(options.roots, options.selection);
  check_space(repository, result.plan);

  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const std::int64_t time_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
  std::string kind;
  std::vector<age::Recipient> recipients;
  for (const std::string& key : options.age_recipients) {
    recipients.push_back(age::parse_recipient(key));
  }
  for (const fs::path& file : options.age_recipients_files) {
    for (const age::Recipient& recipient : age::read_recipients_file(file)) {
      recipients.push_back(recipient);
    }
  }
  const bool encrypt = !recipients.empty();
  if (!encrypt) {
    // Never a plaintext snapshot in a repository whose snapshots are encrypted: a
    // differential would put the changed content of encrypted files in the clear.
    const auto snapshots = repository.list();
    if (!snapshots.empty() && format::encrypted(repository.read_manifest(snapshots.back().id))) {
      throw Error(Errc::usage,
                  fmt::format("the snapshots of {} are encrypted, and no age recipient was given",
                              repository.root().string()),
                  "give --age-recipient KEY or --age-recipients-file FILE (or the setting "
                  "backup.age_recipients_file)");
    }
  }
  const format::Keys keys = format::load_keys(options.age_identity_files, options.cache_dir);
  auto [parent_id, why] = choose_parent(repository, options, keys, time_ns, kind);
  result.why_kind = why;
  std::map<std::string, nlohmann::json> base;
  if (!parent_id.empty()) {
    nlohmann::json parent = format::load_manifest(repository, parent_id, keys);
    for (auto& file : parent["files"]) {
      base.emplace(file["path"].get<std::string>(), std::move(file));
    }
    with_base_blocks(repository, keys, base);
  }

  const std::string id = new_id(options.host, time_ns);
  const fs::path archive_path = repository.archive_path(id).string() + (encrypt ? ".age" : "");
  const fs::path partial = archive_path.string() + ".partial";
  std::string archive_sha256;
  std::uint64_t archive_size = 0;
  const fs::path staging = repository.root() / "snapshots" / (id + ".staging.partial");
  nlohmann::json files = nlohmann::json::array();
  std::uint64_t bytes = 0;
  try {
    fs::create_directories(staging);
    // The archive goes through the encryption (when asked) and a hash of what is stored, so
    // that the manifest gets the stored file's SHA-256 without reading it again.
    archive::FileOutput stored(partial);
    archive::HashingOutput hashed(stored);
    std::optional<age::EncryptingOutput> sealed;
    if (encrypt) {
      sealed.emplace(hashed, recipients);
    }
    archive::Writer writer(sealed ? static_cast<archive::Output&>(*sealed) : hashed,
                           archive::WriterOptions{options.zstd_level, 0});
    SnapshotWriter snapshot(writer, staging, time_ns, result.warnings, result.stats);
    for (const PlannedFile& file : result.plan.files) {
      const auto found = base.find(file.path);
      if (auto entry = snapshot.store(file, found == base.end() ? nullptr : &found->second, parent_id)) {
        bytes += entry->value("size", std::uint64_t{0});
        files.push_back(std::move(*entry));
      }
    }
    // The archive's own copy of the file list, for whoever holds the archive alone; without the
    // block digests, which only the next backup reads, from the manifest.
    nlohmann::json inner_files = nlohmann::json::array();
    for (const auto& file : files) {
      nlohmann::json copy = file;
      copy.erase("blocks");
      inner_files.push_back(std::move(copy));
    }
    nlohmann::json inner = {{"format", "cell0ctl-snapshot"}, {"version", format::k_manifest_version},
                            {"id", id}, {"time", format::rfc3339(time_ns)}, {"kind", kind},
                            {"parent", parent_id}, {"files", std::move(inner_files)}};
    const std::string inner_text = inner.dump() + "\n";
    archive::Entry manifest_entry;
    manifest_entry.path = std::string(format::k_inner_manifest);
    manifest_entry.mode = 0600;
    manifest_entry.mtime_sec = time_ns / 1'000'000'000;
    manifest_entry.size = inner_text.size();
    writer.add_data(manifest_entry, inner_text);
    writer.finish();
    archive_sha256 = hashed.sha256_hex();
    archive_size = hashed.size();
    sync_path(partial);
    fs::rename(partial, archive_path);
    sync_path(archive_path.parent_path());
    fs::remove_all(staging);
  } catch (...) {
    std::error_code ec;
    fs::remove(partial, ec);
    fs::remove_all(staging, ec);
    throw;
  }
  nlohmann::json manifest = {
      {"format", "cell0ctl-snapshot"},
      {"version", format::k_manifest_version},
      {"id", id},
      {"time", format::rfc3339(time_ns)},
      {"time_ns", time_ns},
      {"kind", kind},
      {"parent", parent_id},
      {"host", options.host},
      {"cell0ctl", CELL0CTL_VERSION},
      {"archive", {{"name", archive_path.filename().string()},
                   {"size", archive_size},
                   {"sha256", archive_sha256},
                   {"format", encrypt ? "age(pax+zstd)" : "pax+zstd"}}},
      {"totals", {{"files", files.size()}, {"bytes", bytes},
                  {"stored_whole", result.stats.whole}, {"unchanged", result.stats.unchanged},
                  {"tails", result.stats.tails}, {"blocks", result.stats.blocks},
                  {"bytes_stored", result.stats.bytes_stored}}},
      {"ollama_models", options.ollama_models},
      {"warnings", result.warnings},
      {"files", std::move(files)},
  };
  if (encrypt) {
    manifest["encrypted"] = true;
  }
  std::string text = manifest.dump() + "\n";
  const fs::path sealed_manifest = repository.root() / "snapshots" / (id + ".manifest.age");
  try {
    if (encrypt) {
      // The whole manifest (names, sizes, digests) sealed beside the archive; a summary is the
      // commit record, so that list, status and prune work without a secret key; and this
      // host keeps the whole manifest in its cache for the next differential.
      std::string sealed_text;
      age::Encryptor encryptor(recipients, [&](std::string_view piece) { sealed_text.append(piece); });
      encryptor.write(text);
      encryptor.finish();
      write_file_atomically(sealed_manifest, sealed_text);
      if (!options.cache_dir.empty()) {
        const fs::path cache = format::cache_folder(repository, options.cache_dir);
        std::error_code ec;
        fs::create_directories(cache, ec);
        fs::permissions(options.cache_dir, fs::perms::owner_all, ec);
        fs::permissions(cache, fs::perms::owner_all, ec);
        try {
          write_file_atomically(cache / (id + ".json"), text);
        } catch (const Error& e) {
          result.warnings.push_back(fmt::format("cannot cache the manifest: {}", e.what()));
        }
      }
      manifest.erase("files");
      manifest["manifest"] = sealed_manifest.filename().string();
      text = manifest.dump(1) + "\n";
    }
    write_file_atomically(repository.manifest_path(id), text); // the commit record
  } catch (...) {
    std::error_code ec;
    fs::remove(archive_path, ec);
    fs::remove(sealed_manifest, ec);
    throw;
  }
  result.snapshot = snapshot_info(manifest, archive_size + text.size());
  result.seconds = format::seconds_since(start);
  return result;
}

} // namespace cell0ctl::backup
