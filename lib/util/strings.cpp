// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/util/strings.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace cell0ctl::util {

std::string_view trim(std::string_view text)
{
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (!text.empty() && is_space(text.front())) {
    text.remove_prefix(1);
  }
  while (!text.empty() && is_space(text.back())) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> split(std::string_view text, char separator)
{
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = text.find(separator, start);
    if (end == std::string_view::npos) {
      fields.push_back(text.substr(start));
      return fields;
    }
    fields.push_back(text.substr(start, end - start));
    start = end + 1;
  }
}

std::string join(const std::vector<std::string>& parts, std::string_view separator)
{
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out += separator;
    }
    out += parts[i];
  }
  return out;
}

std::string last_lines(std::string_view text, std::size_t max_lines)
{
  if (max_lines == 0) {
    return {};
  }
  if (!text.empty() && text.back() == '\n') {
    text.remove_suffix(1);
  }
  std::size_t pos = text.size();
  for (std::size_t n = 0; n < max_lines; ++n) {
    const std::size_t nl = text.rfind('\n', pos == 0 ? 0 : pos - 1);
    if (nl == std::string_view::npos || pos == 0) {
      return std::string(text);
    }
    pos = nl;
  }
  return std::string(text.substr(pos + 1));
}

std::string to_lower(std::string_view text)
{
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(std::tolower(c));
  });
  return out;
}

bool parse_uint(std::string_view text, unsigned long long& value)
{
  if (text.empty()) {
    return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc() && end == text.data() + text.size();
}

namespace {

std::vector<unsigned long long> version_numbers(std::string_view text)
{
  text = trim(text);
  if (!text.empty() && (text.front() == 'v' || text.front() == 'V')) {
    text.remove_prefix(1);
  }
  const auto stop = text.find_first_not_of("0123456789.");
  text = text.substr(0, stop);
  std::vector<unsigned long long> numbers;
  for (const std::string_view field : split(text, '.')) {
    unsigned long long n = 0;
    if (!parse_uint(field, n)) {
      break;
    }
    numbers.push_back(n);
  }
  return numbers;
}

} // namespace

int compare_versions(std::string_view left, std::string_view right)
{
  std::vector<unsigned long long> a = version_numbers(left);
  std::vector<unsigned long long> b = version_numbers(right);
  const std::size_t n = std::max(a.size(), b.size());
  a.resize(n, 0);
  b.resize(n, 0);
  if (a < b) {
    return -1;
  }
  return a == b ? 0 : 1;
}

std::string xml_escape(std::string_view text)
{
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
    case '&':
      out += "&amp;";
      break;
    case '<':
      out += "&lt;";
      break;
    case '>':
      out += "&gt;";
      break;
    case '"':
      out += "&quot;";
      break;
    case '\'':
      out += "&apos;";
      break;
    default:
      // Control characters other than tab and newlines are not allowed in XML 1.0.
      if (static_cast<unsigned char>(c) < 0x20 && c != '\t' && c != '\n' && c != '\r') {
        out += ' ';
      } else {
        out += c;
      }
    }
  }
  return out;
}

} // namespace cell0ctl::util
