// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/util/units.hpp"

#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cctype>
#include <cmath>
#include <ctime>
#include <utility>

namespace cell0ctl::util {

namespace {

// Splits "1.5GiB" into 1.5 and "GiB"; nothing when there is no leading non-negative number.
std::optional<std::pair<double, std::string_view>> number_and_unit(std::string_view text)
{
  text = trim(text);
  const std::size_t end = text.find_first_not_of("0123456789.");
  const std::string_view number = text.substr(0, end);
  if (number.empty() || number.front() == '.') {
    return std::nullopt;
  }
  double value = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (ec != std::errc() || ptr != number.data() + number.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  const std::string_view unit = end == std::string_view::npos ? "" : trim(text.substr(end));
  return std::pair{value, unit};
}

} // namespace

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text)
{
  const auto parsed = number_and_unit(text);
  if (!parsed) {
    return std::nullopt;
  }
  static constexpr std::array<std::pair<std::string_view, double>, 6> k_units{{
      {"", 1000.0},
      {"ms", 1.0},
      {"s", 1000.0},
      {"m", 60'000.0},
      {"h", 3'600'000.0},
      {"d", 86'400'000.0},
  }};
  for (const auto& [unit, factor] : k_units) {
    if (parsed->second == unit) {
      const double ms = std::round(parsed->first * factor);
      if (ms > 1e15) {
        return std::nullopt;
      }
      return std::chrono::milliseconds(static_cast<long long>(ms));
    }
  }
  return std::nullopt;
}

std::string format_duration(std::chrono::milliseconds duration)
{
  const long long ms = duration.count();
  if (ms < 1000) {
    return fmt::format("{}ms", ms);
  }
  if (ms < 60'000) {
    return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  }
  const long long minutes = ms / 60'000;
  if (minutes < 60) {
    return fmt::format("{}m", minutes);
  }
  const long long hours = minutes / 60;
  return minutes % 60 == 0 ? fmt::format("{}h", hours) : fmt::format("{}h{}m", hours, minutes % 60);
}

std::optional<std::uint64_t> parse_size(std::string_view text)
{
  const auto parsed = number_and_unit(text);
  if (!parsed) {
    return std::nullopt;
  }
  static constexpr std::array<std::pair<std::string_view, double>, 14> k_units{{
      {"", 1.0},
      {"B", 1.0},
      {"K", 1024.0},
      {"KB", 1e3},
      {"KiB", 1024.0},
      {"M", 1048576.0},
      {"MB", 1e6},
      {"MiB", 1048576.0},
      {"G", 1073741824.0},
      {"GB", 1e9},
      {"GiB", 1073741824.0},
      {"T", 1099511627776.0},
      {"TB", 1e12},
      {"TiB", 1099511627776.0},
  }};
  for (const auto& [unit, factor] : k_units) {
    if (parsed->second == unit) {
      const double bytes = std::round(parsed->first * factor);
      if (bytes > 1.8e19) {
        return std::nullopt;
      }
      return static_cast<std::uint64_t>(bytes);
    }
  }
  return std::nullopt;
}

std::string format_size(std::uint64_t bytes)
{
  static constexpr std::array<std::string_view, 5> k_units{"KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) {
    return fmt::format("{} B", bytes);
  }
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  value /= 1024.0;
  // Compare what will be printed, so that 1048575 bytes read "1.0 MiB", not "1024.0 KiB".
  while (std::round(value * 10.0) / 10.0 >= 1024.0 && unit + 1 < k_units.size()) {
    value /= 1024.0;
    ++unit;
  }
  return fmt::format("{:.1f} {}", value, k_units[unit]);
}

std::optional<std::int64_t> parse_point_in_time(std::string_view text, std::int64_t now_ns)
{
  const std::string input(trim(text));
  constexpr std::int64_t k_ns = 1'000'000'000;
  if (const auto ago = parse_duration(input); ago && !input.empty() && std::isalpha(static_cast<unsigned char>(input.back()))) {
    return now_ns - static_cast<std::int64_t>(ago->count()) * 1'000'000;
  }
  struct tm parts{};
  const char* end = nullptr;
  bool date_only = false;
  for (const char* pattern : {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                              "%Y-%m-%d %H:%M"}) {
    parts = {};
    end = ::strptime(input.c_str(), pattern, &parts);
    if (end != nullptr) {
      break;
    }
  }
  if (end == nullptr) {
    parts = {};
    end = ::strptime(input.c_str(), "%Y-%m-%d", &parts);
    if (end == nullptr || *end != '\0') {
      return std::nullopt;
    }
    date_only = true;
    parts.tm_hour = 23;
    parts.tm_min = 59;
    parts.tm_sec = 59;
  }
  const std::string_view zone(end);
  std::time_t seconds = 0;
  if (zone.empty()) {
    parts.tm_isdst = -1; // local time, daylight saving as it was then
    seconds = std::mktime(&parts);
  } else if (zone == "Z" || zone == "z") {
    seconds = ::timegm(&parts);
  } else if (zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && zone[3] == ':') {
    int hours = 0;
    int minutes = 0;
    if (std::from_chars(zone.data() + 1, zone.data() + 3, hours).ec != std::errc()
        || std::from_chars(zone.data() + 4, zone.data() + 6, minutes).ec != std::errc()) {
      return std::nullopt;
    }
    const int offset = (hours * 60 + minutes) * 60;
    seconds = ::timegm(&parts) - (zone[0] == '+' ? offset : -offset);
  } else {
    return std::nullopt;
  }
  if (seconds == static_cast<std::time_t>(-1)) {
    return std::nullopt;
  }
  // The end of a day includes its last second.
  return static_cast<std::int64_t>(seconds) * k_ns + (date_only ? k_ns - 1 : 0);
}

} // namespace cell0ctl::util
