// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/util/sha256.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>

#include <string>

using cell0ctl::util::sha256_hex;

TEST_CASE("sha256_hex")
{
  SUBCASE("the digests of the FIPS 180-2 examples come out in lower-case hex")
  {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  SUBCASE("bytes after a NUL count")
  {
    CHECK(sha256_hex(std::string("a\0b", 3)) != sha256_hex("a"));
  }
}

TEST_CASE("file_sha256: the digest of a file read in pieces; nothing for a file that cannot be read")
{
  cell0ctl::test::Scratch scratch;
  std::string data(3u << 20u, '\0'); // three 1 MiB pieces and a tail
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>(i * 7 % 251);
  }
  data += "tail";
  CHECK(cell0ctl::util::file_sha256(scratch.write("big.bin", data)) == sha256_hex(data));
  CHECK(cell0ctl::util::file_sha256(scratch.write("empty", "")) == sha256_hex(""));
  CHECK_FALSE(cell0ctl::util::file_sha256(scratch.path() / "missing").has_value());
  CHECK_FALSE(cell0ctl::util::file_sha256(scratch.path()).has_value()); // a folder
}
