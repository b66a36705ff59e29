// SPDX-License-Identifier: GPL-3.0-or-later
// YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1023-core-schema), tag resolution of
// plain scalars.
#include "lib/config/document.hpp"

#include <charconv>
#include <cmath>
#include <limits>

namespace cell0ctl::config {

namespace {

bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

bool all_of(std::string_view text, bool (*predicate)(char))
{
  for (const char c : text) {
    if (!predicate(c)) {
      return false;
    }
  }
  return !text.empty();
}

// [-+]? ( \. [0-9]+ | [0-9]+ ( \. [0-9]* )? ) ( [eE] [-+]? [0-9]+ )?
bool is_core_float(std::string_view text)
{
  std::size_t i = 0;
  const auto digits = [&text, &i] {
    const std::size_t start = i;
    while (i < text.size() && is_digit(text[i])) {
      ++i;
    }
    return i - start;
  };
  if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
    ++i;
  }
  if (i < text.size() && text[i] == '.') {
    ++i;
    if (digits() == 0) {
      return false;
    }
  } else {
    if (digits() == 0) {
      return false;
    }
    if (i < text.size() && text[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
    ++i;
    if (i < text.size() && (text[i] == '-' || text[i] == '+')) {
      ++i;
    }
    if (digits() == 0) {
      return false;
    }
  }
  return i == text.size();
}

double to_double(std::string_view text)
{
  if (!text.empty() && text.front() == '+') {
    text.remove_prefix(1);
  }
  double value = 0;
  const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec == std::errc::result_out_of_range) {
    // Too large for a double: an infinity of the right sign, as strtod gives.
    return text.starts_with('-') ? -std::numeric_limits<double>::infinity()
                                 : std::numeric_limits<double>::infinity();
  }
  return value;
}

// An integer in `base` (`digits` without sign or prefix); one beyond int64 becomes a float.
Node integer(std::string_view digits, int base, bool negative)
{
  std::uint64_t magnitude = 0;
  const auto result =
      std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  constexpr std::uint64_t k_max = std::numeric_limits<std::int64_t>::max();
  if (result.ec == std::errc() && (magnitude <= k_max || (negative && magnitude == k_max + 1))) {
    if (negative) {
      // -(2^63) is representable; negate in unsigned arithmetic to avoid overflow.
      return Node(static_cast<std::int64_t>(~magnitude + 1));
    }
    return Node(static_cast<std::int64_t>(magnitude));
  }
  double value = 0;
  for (const char c : digits) {
    const int digit = is_digit(c) ? c - '0' : (c | 0x20) - 'a' + 10;
    value = value * base + digit;
  }
  return Node(negative ? -value : value);
}

} // namespace

Node resolve_plain_scalar(std::string_view text)
{
  if (text.empty() || text == "~" || text == "null" || text == "Null" || text == "NULL") {
    return Node();
  }
  if (text == "true" || text == "True" || text == "TRUE") {
    return Node(true);
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    return Node(false);
  }
  const bool signed_text = text.front() == '-' || text.front() == '+';
  const std::string_view unsigned_text = signed_text ? text.substr(1) : text;
  if (all_of(unsigned_text, is_digit)) {
    return integer(unsigned_text, 10, text.front() == '-');
  }
  const auto is_octal = [](char c) { return c >= '0' && c <= '7'; };
  const auto is_hex = [](char c) {
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  };
  if (text.size() > 2 && text.starts_with("0o") && all_of(text.substr(2), is_octal)) {
    return integer(text.substr(2), 8, false);
  }
  if (text.size() > 2 && text.starts_with("0x") && all_of(text.substr(2), is_hex)) {
    return integer(text.substr(2), 16, false);
  }
  if (is_core_float(text)) {
    return Node(to_double(text));
  }
  if (unsigned_text == ".inf" || unsigned_text == ".Inf" || unsigned_text == ".INF") {
    const double infinity = std::numeric_limits<double>::infinity();
    return Node(text.front() == '-' ? -infinity : infinity);
  }
  if (text == ".nan" || text == ".NaN" || text == ".NAN") {
    return Node(std::numeric_limits<double>::quiet_NaN());
  }
  return Node(std::string(text));
}

} // namespace cell0ctl::config
