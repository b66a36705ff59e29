// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/core/error.hpp"
#include "lib/crypto/bech32.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using cell0ctl::Errc;
using cell0ctl::Error;
using cell0ctl::age::decode_bech32;
using cell0ctl::age::encode_bech32;

namespace {

// The message of the Error that decoding `text` throws, or "" when it decodes.
std::string refusal(const std::string& text)
{
  try {
    decode_bech32(text);
  } catch (const Error& e) {
    CHECK(e.code() == Errc::usage);
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("age bech32")
{
  SUBCASE("the valid strings of BIP 173 decode")
  {
    CHECK(decode_bech32("A12UEL5L").hrp == "A");
    CHECK(decode_bech32("A12UEL5L").data.empty());
    CHECK(decode_bech32("a12uel5l").hrp == "a");
    CHECK(decode_bech32("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw").data.size() == 20);
    CHECK(decode_bech32("split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w").hrp
          == "split");
    CHECK(decode_bech32("?1ezyfcl").hrp == "?");
    // 90 characters, the longest BIP 173 allows (age allows longer).
    CHECK(decode_bech32("11" + std::string(82, 'q') + "c8247j").data.size() == 51);
  }

  SUBCASE("the invalid strings of BIP 173 are refused, with a reason")
  {
    CHECK(refusal(" 1nwldj5").find("printable") != std::string::npos);
    CHECK(refusal("\x7f"
                  "1axkwrx")
              .find("printable")
          != std::string::npos);
    CHECK(refusal("pzry9x0s0muk").find("separator") != std::string::npos);
    CHECK(refusal("1pzry9x0s0muk").find("separator") != std::string::npos);
    CHECK(refusal("x1b4n0q5v").find("alphabet") != std::string::npos);
    CHECK(refusal("li1dgmt3").find("too short") != std::string::npos);
    CHECK(refusal("de1lg7wt\xff").find("printable") != std::string::npos);
    CHECK(refusal("A1G7SGD8").find("checksum") != std::string::npos);
    CHECK(refusal("10a06t8").find("separator") != std::string::npos);
    CHECK(refusal("1qzzfhee").find("separator") != std::string::npos);
  }

  SUBCASE("mixed case is refused, and no message repeats the input")
  {
    const std::string text = "A12uEL5L";
    const std::string message = refusal(text);
    CHECK(message.find("mixed") != std::string::npos);
    CHECK(message.find(text) == std::string::npos);
  }

  SUBCASE("32 bytes encode in the case of the prefix and decode back")
  {
    std::vector<unsigned char> key(32);
    for (std::size_t i = 0; i < key.size(); ++i) {
      key[i] = static_cast<unsigned char>(i * 7 + 1);
    }
    const std::string lower = encode_bech32("age", key);
    CHECK(lower.rfind("age1", 0) == 0);
    CHECK(lower.size() == 4 + 52 + 6);
    CHECK(decode_bech32(lower).data == key);
    const std::string upper = encode_bech32("AGE-SECRET-KEY-", key);
    CHECK(upper.rfind("AGE-SECRET-KEY-1", 0) == 0);
    CHECK(upper.find_first_of("abcdefghijklmnopqrstuvwxyz") == std::string::npos);
    CHECK(decode_bech32(upper).hrp == "AGE-SECRET-KEY-");
    CHECK(decode_bech32(upper).data == key);
  }

  SUBCASE("one changed character breaks the checksum")
  {
    std::string text = encode_bech32("age", std::vector<unsigned char>(32, 0x42));
    text[10] = text[10] == 'q' ? 'p' : 'q';
    CHECK(refusal(text).find("checksum") != std::string::npos);
  }
}
