// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/crypto/base64.hpp"

#include <array>
#include <cstdint>

namespace cell0ctl::age {

namespace {

constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The value of each alphabet character, -1 for any other byte.
constexpr std::array<std::int8_t, 256> make_values()
{
  std::array<std::int8_t, 256> values{};
  values.fill(-1);
  for (std::size_t i = 0; i < k_alphabet.size(); ++i) {
    values[static_cast<unsigned char>(k_alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return values;
}
constexpr std::array<std::int8_t, 256> k_values = make_values();

} // namespace

std::string encode_base64(std::span<const unsigned char> data)
{
  std::string out;
  out.reserve((data.size() * 4 + 2) / 3);
  std::uint32_t bits = 0;
  int count = 0; // bits waiting in `bits`
  for (const unsigned char byte : data) {
    bits = (bits << 8) | byte;
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += k_alphabet[(bits >> count) & 0x3f];
    }
  }
  if (count > 0) {
    out += k_alphabet[(bits << (6 - count)) & 0x3f];
  }
  return out;
}

std::optional<std::vector<unsigned char>> decode_base64(std::string_view text)
{
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::vector<unsigned char> out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t bits = 0;
  int count = 0;
  for (const char c : text) {
    const int value = k_values[static_cast<unsigned char>(c)];
    if (value < 0) {
      return std::nullopt;
    }
    bits = (bits << 6) | static_cast<std::uint32_t>(value);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out.push_back(static_cast<unsigned char>((bits >> count) & 0xff));
    }
  }
  // Canonical encodings leave the 2 or 4 unused bits of the last character at zero.
  if ((bits & ((1U << count) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

} // namespace cell0ctl::age
