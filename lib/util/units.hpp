// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cell0ctl::util {

// Parses a duration as DESIGN.md writes them: `500ms`, `2s`, `5m`, `1h`, `1.5s`; a bare number
// means seconds. Returns nothing for anything else, negative values included.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

// Formats `duration` for people: `850ms`, `2.0s`, `5m`, `1h30m`.
std::string format_duration(std::chrono::milliseconds duration);

// Parses a size: `512KiB`, `10MB`, `2GiB`, `100` (bytes); SI units are powers of 1000 and
// IEC units powers of 1024, `K`/`M`/`G` alone are taken as IEC. Nothing for anything else.
std::optional<std::uint64_t> parse_size(std::string_view text);

// Parses a point in time, as `restore --at` takes it, into nanoseconds since the epoch:
//   2026-11-24T13:05:00Z, 2026-11-24T14:05:00+01:00   RFC 3339 (seconds optional)
//   "2026-11-24 13:05[:00]"                            local time
//   2026-11-24                                         the end of that day, local time
//   36h, 2d                                            that long before `now_ns`
// Nothing for anything else.
std::optional<std::int64_t> parse_point_in_time(std::string_view text, std::int64_t now_ns);

// Formats `bytes` with IEC units: `512 B`, `1.5 KiB`, `12.0 GiB`.
std::string format_size(std::uint64_t bytes);

} // namespace cell0ctl::util
