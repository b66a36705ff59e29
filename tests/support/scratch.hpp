// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Real files in a temporary folder, removed at the end of the test.

#include <filesystem>
#include <string>
#include <string_view>

namespace cell0ctl::test {

class Scratch
{
public:
  Scratch();
  ~Scratch();
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  const std::filesystem::path& path() const { return m_path; }

  // Writes `content` to `relative` (parents created), with `mode`; returns the full path.
  std::filesystem::path write(const std::filesystem::path& relative,
                              std::string_view content,
                              std::filesystem::perms mode = std::filesystem::perms(0600));

  // Creates folder `relative` (and parents) with `mode`.
  std::filesystem::path mkdir(const std::filesystem::path& relative,
                              std::filesystem::perms mode = std::filesystem::perms(0700));

  std::string read(const std::filesystem::path& relative) const;

private:
  std::filesystem::path m_path;
};

// Where ../shared/fixtures/cell0-os is, from $CELL0CTL_SHARED or the source tree; empty when
// absent (tests that need it skip with a message).
std::filesystem::path fixtures();

// The captured response `name` of fixtures()/responses (its body_raw, or body as text).
struct Captured
{
  int status = 0;
  std::string content_type;
  std::string body;
};
Captured captured(std::string_view name);

} // namespace cell0ctl::test
