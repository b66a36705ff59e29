// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What changed in a file since its version in an earlier snapshot, at the granularity a
// snapshot stores: nothing, an appended tail, or 4 KiB blocks changed in place. Large files
// carry a digest of each block in the manifest, so that the next snapshot finds its changed
// blocks by reading only the file itself, never the earlier archive (which may be remote or
// encrypted).

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cell0ctl::backup {

// SQLite's default page size: a changed row rewrites whole pages, which line up with blocks.
inline constexpr std::size_t k_block_size = 4096;
// Files at least this large get block digests (smaller ones are stored whole when changed).
inline constexpr std::uint64_t k_block_digests_from = 1u << 20u;
// Bytes of SHA-256 kept per block: a same-position collision is 2^-64, and restore checks the
// whole file's SHA-256 anyway.
inline constexpr std::size_t k_block_digest_bytes = 8;

// Digests of consecutive 4 KiB blocks of data given in pieces of any size; the last block may
// be short. The digests are kept as hex (16 digits a block) for the manifest.
class BlockDigests
{
public:
  void update(std::string_view data);
  // The digests of all blocks, including a short last one; the object is then empty again.
  std::string finish();

private:
  void add_block(std::string_view block);
  std::string m_hex;
  std::string m_partial;
};

// Runs of blocks [first, first + count) that differ between the digests `before` and `after`
// (hex as BlockDigests gives them); blocks beyond the end of `before` count as changed.
using BlockRuns = std::vector<std::pair<std::uint64_t, std::uint64_t>>;
BlockRuns changed_blocks(std::string_view before, std::string_view after);

std::uint64_t block_count(const BlockRuns& runs);

// Copies the bytes of the block runs of `file` (its size `size`) into `out`, in order; the
// last block of the file may be short. Throws Error(Errc::failed) naming the file.
void extract_blocks(const std::filesystem::path& file, std::uint64_t size, const BlockRuns& runs,
                    const std::filesystem::path& out);

// Copies bytes [offset, end) of `file` into `out`.
void extract_range(const std::filesystem::path& file, std::uint64_t offset, std::uint64_t end,
                   const std::filesystem::path& out);

// Turns the earlier version in `file` into the new one: truncates it to `offset` and appends
// the content of `tail`.
void apply_tail(const std::filesystem::path& file, std::uint64_t offset,
                const std::filesystem::path& tail);

// Sets the size of `file` to `size` and writes the blocks of `blocks` (as extract_blocks()
// wrote them) at their places.
void apply_blocks(const std::filesystem::path& file, std::uint64_t size, const BlockRuns& runs,
                  const std::filesystem::path& blocks);

} // namespace cell0ctl::backup
