// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/crypto/bech32.hpp"

#include "lib/core/error.hpp"

#include <array>
#include <cstdint>

#include <sodium.h>

namespace cell0ctl::age {

namespace {

constexpr std::string_view k_charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";
constexpr std::size_t k_checksum_size = 6;

std::uint32_t polymod(std::uint32_t checksum, unsigned char value)
{
  constexpr std::array<std::uint32_t, 5> k_generator = {
      0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3};
  const std::uint32_t top = checksum >> 25;
  checksum = ((checksum & 0x1ffffff) << 5) ^ value;
  for (std::size_t i = 0; i < k_generator.size(); ++i) {
    if (((top >> i) & 1) != 0) {
      checksum ^= k_generator[i];
    }
  }
  return checksum;
}

char to_lower(char c)
{
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

char to_upper(char c)
{
  return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// The checksum state after the expanded human-readable part (BIP 173), always lower case.
std::uint32_t hrp_checksum(std::string_view hrp)
{
  std::uint32_t checksum = 1;
  for (const char c : hrp) {
    checksum = polymod(checksum, static_cast<unsigned char>(to_lower(c)) >> 5);
  }
  checksum = polymod(checksum, 0);
  for (const char c : hrp) {
    checksum = polymod(checksum, static_cast<unsigned char>(to_lower(c)) & 31);
  }
  return checksum;
}

// Wipes a buffer that held key material when it goes out of scope.
template <typename Buffer> class WipeOnExit
{
public:
  explicit WipeOnExit(Buffer& buffer) : m_buffer(buffer) {}
  ~WipeOnExit() { sodium_memzero(m_buffer.data(), m_buffer.size()); }
  WipeOnExit(const WipeOnExit&) = delete;
  WipeOnExit& operator=(const WipeOnExit&) = delete;

private:
  Buffer& m_buffer;
};

[[noreturn]] void refuse(const std::string& why)
{
  throw Error(Errc::usage, why);
}

// Regroups the 5-bit `values` into bytes, refusing padding that is too long or not zero.
std::vector<unsigned char> to_bytes(std::span<const unsigned char> values)
{
  std::vector<unsigned char> bytes;
  bytes.reserve(values.size() * 5 / 8);
  std::uint32_t bits = 0;
  int count = 0;
  for (const unsigned char value : values) {
    bits = (bits << 5) | value;
    count += 5;
    if (count >= 8) {
      count -= 8;
      bytes.push_back(static_cast<unsigned char>((bits >> count) & 0xff));
    }
  }
  const bool clean = count < 5 && (bits & ((1U << count) - 1)) == 0;
  sodium_memzero(&bits, sizeof(bits));
  if (!clean) {
    sodium_memzero(bytes.data(), bytes.size());
    refuse("invalid Bech32 padding");
  }
  return bytes;
}

} // namespace

std::string encode_bech32(std::string_view hrp, std::span<const unsigned char> data)
{
  std::vector<unsigned char> values;
  values.reserve((data.size() * 8 + 4) / 5);
  const WipeOnExit wipe_values(values);
  std::uint32_t bits = 0;
  int count = 0;
  for (const unsigned char byte : data) {
    bits = (bits << 8) | byte;
    count += 8;
    while (count >= 5) {
      count -= 5;
      values.push_back(static_cast<unsigned char>((bits >> count) & 31));
    }
  }
  if (count > 0) {
    values.push_back(static_cast<unsigned char>((bits << (5 - count)) & 31));
  }
  sodium_memzero(&bits, sizeof(bits));

  std::uint32_t checksum = hrp_checksum(hrp);
  for (const unsigned char value : values) {
    checksum = polymod(checksum, value);
  }
  for (std::size_t i = 0; i < k_checksum_size; ++i) {
    checksum = polymod(checksum, 0);
  }
  checksum ^= 1;

  // Reserved in full, so that no reallocation leaves a copy of a secret key behind.
  std::string out;
  out.reserve(hrp.size() + 1 + values.size() + k_checksum_size);
  const bool upper = !hrp.empty() && hrp.find_first_of("abcdefghijklmnopqrstuvwxyz") == hrp.npos
                     && hrp.find_first_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ") != hrp.npos;
  for (const char c : hrp) {
    out += to_lower(c);
  }
  out += '1';
  for (const unsigned char value : values) {
    out += k_charset[value];
  }
  for (std::size_t i = 0; i < k_checksum_size; ++i) {
    out += k_charset[(checksum >> (5 * (k_checksum_size - 1 - i))) & 31];
  }
  if (upper) {
    for (char& c : out) {
      c = to_upper(c);
    }
  }
  return out;
}

Bech32 decode_bech32(std::string_view text)
{
  bool has_lower = false;
  bool has_upper = false;
  for (const char c : text) {
    if (c < 33 || c > 126) {
      refuse("a Bech32 string has only printable ASCII characters, without spaces");
    }
    has_lower = has_lower || (c >= 'a' && c <= 'z');
    has_upper = has_upper || (c >= 'A' && c <= 'Z');
  }
  if (has_lower && has_upper) {
    refuse("mixed upper and lower case");
  }
  const std::size_t separator = text.rfind('1');
  if (separator == text.npos || separator == 0) {
    refuse("no Bech32 separator '1' after the prefix");
  }
  if (text.size() - separator - 1 < k_checksum_size) {
    refuse("too short for a Bech32 checksum");
  }

  const std::string_view hrp = text.substr(0, separator);
  const std::string_view data_part = text.substr(separator + 1);
  std::vector<unsigned char> values;
  values.reserve(data_part.size());
  const WipeOnExit wipe_values(values);
  std::uint32_t checksum = hrp_checksum(hrp);
  for (const char c : data_part) {
    const std::size_t value = k_charset.find(to_lower(c));
    if (value == k_charset.npos) {
      refuse("a character outside the Bech32 alphabet");
    }
    values.push_back(static_cast<unsigned char>(value));
    checksum = polymod(checksum, static_cast<unsigned char>(value));
  }
  if (checksum != 1) {
    refuse("invalid Bech32 checksum (a typo, or a truncated key)");
  }
  return Bech32{
      .hrp = std::string(hrp),
      .data = to_bytes(std::span(values).first(values.size() - k_checksum_size)),
  };
}

} // namespace cell0ctl::age
