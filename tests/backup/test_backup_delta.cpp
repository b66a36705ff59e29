// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/delta.hpp"
#include "lib/core/error.hpp"
#include "lib/util/sha256.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace cell0ctl;
using namespace cell0ctl::backup;

namespace {

std::string random_bytes(std::size_t size, unsigned seed)
{
  std::mt19937 random(seed);
  std::string out(size, '\0');
  for (char& c : out) {
    c = static_cast<char>(random());
  }
  return out;
}

std::string digests_of(std::string_view data, std::size_t piece)
{
  BlockDigests digests;
  for (std::size_t at = 0; at < data.size(); at += piece) {
    digests.update(data.substr(at, piece));
  }
  return digests.finish();
}

} // namespace

TEST_CASE("block digests do not depend on how the data is cut")
{
  const std::string data = random_bytes(5 * k_block_size + 123, 1);
  const std::string whole = digests_of(data, data.size());
  CHECK(whole.size() == 6 * 2 * k_block_digest_bytes); // the short last block counts
  CHECK(digests_of(data, 1) == whole);
  CHECK(digests_of(data, 4095) == whole);
  CHECK(digests_of(data, 1u << 20u) == whole);
  CHECK(digests_of("", 7).empty());
  // The first block's digest is the first bytes of its SHA-256.
  CHECK(whole.substr(0, 16) == util::sha256_hex(std::string_view(data).substr(0, k_block_size)).substr(0, 16));
}

TEST_CASE("changed_blocks finds runs, growth and nothing when equal")
{
  std::string data = random_bytes(10 * k_block_size, 2);
  const std::string before = digests_of(data, 1000);
  CHECK(changed_blocks(before, before).empty());
  data[2 * k_block_size + 5] ^= 1;
  data[3 * k_block_size] ^= 1;
  data[7 * k_block_size + 4095] ^= 1;
  data += "tail";
  const BlockRuns runs = changed_blocks(before, digests_of(data, 999));
  REQUIRE(runs.size() == 3);
  CHECK(runs[0] == std::pair<std::uint64_t, std::uint64_t>{2, 2});
  CHECK(runs[1] == std::pair<std::uint64_t, std::uint64_t>{7, 1});
  CHECK(runs[2] == std::pair<std::uint64_t, std::uint64_t>{10, 1}); // beyond the old end
  CHECK(block_count(runs) == 4);
}

TEST_CASE("extract_blocks then apply_blocks turns the old file into the new one")
{
  test::Scratch scratch;
  const std::string old_content = random_bytes(9 * k_block_size + 10, 3);
  for (const std::size_t new_size : {9 * k_block_size + 10, 12 * k_block_size + 1, 4 * k_block_size + 7}) {
    CAPTURE(new_size);
    std::string new_content = old_content.substr(0, std::min(old_content.size(), new_size));
    new_content.resize(new_size, 'x');
    new_content[k_block_size + 1] ^= 0x55;
    const auto target = scratch.write("old", old_content);
    const auto source = scratch.write("new", new_content);
    const BlockRuns runs = changed_blocks(digests_of(old_content, 4096), digests_of(new_content, 4096));
    extract_blocks(source, new_size, runs, scratch.path() / "blocks");
    apply_blocks(target, new_size, runs, scratch.path() / "blocks");
    CHECK(scratch.read("old") == new_content);
  }
}

TEST_CASE("extract_range then apply_tail appends; a run beyond the file is an error")
{
  test::Scratch scratch;
  const std::string old_content = "{\"a\": 1}\n";
  const std::string new_content = old_content + "{\"b\": 2}\n{\"c\": 3}\n";
  const auto target = scratch.write("log", old_content);
  const auto source = scratch.write("log.new", new_content);
  extract_range(source, old_content.size(), new_content.size(), scratch.path() / "tail");
  CHECK(scratch.read("tail") == "{\"b\": 2}\n{\"c\": 3}\n");
  apply_tail(target, old_content.size(), scratch.path() / "tail");
  CHECK(scratch.read("log") == new_content);

  CHECK_THROWS_AS(extract_blocks(source, new_content.size(), BlockRuns{{5, 1}}, scratch.path() / "x"),
                  Error);
  CHECK_THROWS_AS(apply_tail(scratch.path() / "missing", 0, scratch.path() / "tail"), Error);
}
