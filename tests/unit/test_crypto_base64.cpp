// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/crypto/base64.hpp"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

using cell0ctl::age::decode_base64;
using cell0ctl::age::encode_base64;

namespace {

std::vector<unsigned char> bytes_of(std::string_view text)
{
  return {text.begin(), text.end()};
}

} // namespace

TEST_CASE("age base64")
{
  SUBCASE("the RFC 4648 examples encode without padding and decode back")
  {
    const std::vector<std::pair<std::string_view, std::string_view>> examples = {
        {"", ""},
        {"f", "Zg"},
        {"fo", "Zm8"},
        {"foo", "Zm9v"},
        {"foob", "Zm9vYg"},
        {"fooba", "Zm9vYmE"},
        {"foobar", "Zm9vYmFy"},
    };
    for (const auto& [plain, encoded] : examples) {
      CHECK(encode_base64(bytes_of(plain)) == encoded);
      CHECK(decode_base64(encoded) == bytes_of(plain));
    }
  }

  SUBCASE("every byte value survives a round trip, with the standard alphabet")
  {
    std::vector<unsigned char> all;
    for (int i = 0; i < 256; ++i) {
      all.push_back(static_cast<unsigned char>(i));
    }
    const std::string encoded = encode_base64(all);
    CHECK(encoded.find_first_of("+/") != std::string::npos);
    CHECK(encoded.find_first_of("-_=") == std::string::npos);
    CHECK(decode_base64(encoded) == all);
  }

  SUBCASE("padding, other alphabets, whitespace and impossible lengths are refused")
  {
    CHECK(decode_base64("Zg==") == std::nullopt);
    CHECK(decode_base64("Zm9vYg=") == std::nullopt);
    CHECK(decode_base64("Zm9vY") == std::nullopt); // 4n+1 characters
    CHECK(decode_base64("-_8") == std::nullopt);   // base64url
    CHECK(decode_base64("Zm9v\n") == std::nullopt);
    CHECK(decode_base64("Zm9v\r") == std::nullopt);
    CHECK(decode_base64("Zm 9v") == std::nullopt);
    CHECK(decode_base64(std::string("Zm\0v", 4)) == std::nullopt);
  }

  SUBCASE("a non-canonical encoding (unused bits set) is refused")
  {
    CHECK(decode_base64("Zg") == bytes_of("f"));
    CHECK(decode_base64("Zh") == std::nullopt);
    CHECK(decode_base64("Zm8") == bytes_of("fo"));
    CHECK(decode_base64("Zm9") == std::nullopt);
  }
}
