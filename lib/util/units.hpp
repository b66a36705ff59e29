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

// Formats `bytes` with IEC units: `512 B`, `1.5 KiB`, `12.0 GiB`.
std::string format_size(std::uint64_t bytes);

} // namespace cell0ctl::util
