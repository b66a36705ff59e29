// SPDX-License-Identifier: GPL-3.0-or-later
// The common formats of JSON Schema's format vocabulary, as assertions. Checked with PCRE2
// expressions (RFC 3339 dates and times with calendar checks, RFC 1123 host names, IPv4,
// IPv6 via inet_pton, UUIDs, JSON pointers, absolute URIs, e-mail addresses).
#include "lib/schema/format.hpp"

#include "lib/core/error.hpp"
#include "lib/schema/regex.hpp"

#include <charconv>
#include <string>

#include <arpa/inet.h>

namespace cell0ctl::schema {

namespace {

bool matches(const char* pattern, std::string_view text)
{
  thread_local RegexCache cache;
  try {
    return cache.get(pattern).search(text);
  } catch (const Error&) {
    return false;
  }
}

int number(std::string_view text, std::size_t at, std::size_t length)
{
  int value = 0;
  std::from_chars(text.data() + at, text.data() + at + length, value);
  return value;
}

bool valid_date(std::string_view text)
{
  if (!matches(R"(\A[0-9]{4}-[0-9]{2}-[0-9]{2}\z)", text)) {
    return false;
  }
  const int year = number(text, 0, 4);
  const int month = number(text, 5, 2);
  const int day = number(text, 8, 2);
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  constexpr int k_days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month >= 1 && month <= 12 && day >= 1
         && day <= k_days[month - 1] + (month == 2 && leap ? 1 : 0);
}

bool valid_time(std::string_view text)
{
  if (!matches(R"(\A[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})\z)", text)) {
    return false;
  }
  const int hour = number(text, 0, 2);
  const int minute = number(text, 3, 2);
  const int second = number(text, 6, 2);
  return hour <= 23 && minute <= 59 && second <= 60;
}

bool valid_hostname(std::string_view text)
{
  return text.size() <= 253
         && matches(
             R"(\A(?=.{1,253}\z)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?\z)",
             text);
}

bool valid_ipv4(std::string_view text)
{
  return matches(
      R"(\A(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\z)",
      text);
}

bool valid_ipv6(std::string_view text)
{
  in6_addr address{};
  return text.find('%') == std::string_view::npos
         && inet_pton(AF_INET6, std::string(text).c_str(), &address) == 1;
}

} // namespace

bool check_format(std::string_view format, const config::Node& value)
{
  if (!value.is_string()) {
    return true;
  }
  const std::string& text = value.as_string();
  if (format == "date") {
    return valid_date(text);
  }
  if (format == "time") {
    return valid_time(text);
  }
  if (format == "date-time") {
    const std::size_t t = text.find_first_of("Tt");
    return t == 10 && valid_date(std::string_view(text).substr(0, 10))
           && valid_time(std::string_view(text).substr(11));
  }
  if (format == "hostname") {
    return valid_hostname(text);
  }
  if (format == "ipv4") {
    return valid_ipv4(text);
  }
  if (format == "ipv6") {
    return valid_ipv6(text);
  }
  if (format == "email") {
    return matches(R"(\A[^@\s."]+(\.[^@\s."]+)*@[^@\s]+\z)", text);
  }
  if (format == "uuid") {
    return matches(
        R"(\A[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\z)", text);
  }
  if (format == "uri") {
    return matches(R"(\A[A-Za-z][A-Za-z0-9+.-]*:[^\s"<>\\^`{|}]*\z)", text);
  }
  if (format == "uri-reference") {
    return matches(R"(\A[^\s"<>\\^`{|}]*\z)", text);
  }
  if (format == "json-pointer") {
    return matches(R"(\A(/([^~/]|~[01])*)*\z)", text);
  }
  if (format == "duration") {
    return matches(
        R"(\AP(?!\z)([0-9]+W|([0-9]+Y)?([0-9]+M)?([0-9]+D)?(T(?=[0-9])([0-9]+H)?([0-9]+M)?([0-9]+S)?)?)\z)",
        text);
  }
  if (format == "regex") {
    try {
      Regex check(text);
      return true;
    } catch (const Error&) {
      return false;
    }
  }
  return true;
}

} // namespace cell0ctl::schema
