// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/scratch.hpp"

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace fs = std::filesystem;

namespace cell0ctl::test {

Scratch::Scratch()
{
  std::string pattern = (fs::temp_directory_path() / "cell0ctl-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::runtime_error("mkdtemp failed");
  }
  m_path = pattern;
}

Scratch::~Scratch()
{
  std::error_code ec;
  // Make everything writable again so that a test that removed permissions still cleans up.
  for (fs::recursive_directory_iterator it(m_path, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec) && !it->is_symlink(ec)) {
      fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
  }
  fs::remove_all(m_path, ec);
}

fs::path Scratch::write(const fs::path& relative, std::string_view content, fs::perms mode)
{
  const fs::path full = m_path / relative;
  fs::create_directories(full.parent_path());
  {
    std::ofstream out(full, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
  }
  fs::permissions(full, mode);
  return full;
}

fs::path Scratch::mkdir(const fs::path& relative, fs::perms mode)
{
  const fs::path full = m_path / relative;
  fs::create_directories(full);
  fs::permissions(full, mode);
  return full;
}

std::string Scratch::read(const fs::path& relative) const
{
  std::ifstream in(m_path / relative, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

fs::path fixtures()
{
  if (const char* shared = std::getenv("CELL0CTL_SHARED"); shared != nullptr && *shared != '\0') {
    const fs::path path = fs::path(shared) / "fixtures/cell0-os";
    return fs::is_directory(path) ? path : fs::path();
  }
  const fs::path path = fs::path(CELL0CTL_SOURCE_ROOT) / "../shared/fixtures/cell0-os";
  std::error_code ec;
  return fs::is_directory(path, ec) ? fs::canonical(path) : fs::path();
}

Captured captured(std::string_view name)
{
  const fs::path file = fixtures() / "responses" / (std::string(name) + ".json");
  std::ifstream in(file);
  if (!in) {
    throw std::runtime_error("no captured response " + file.string());
  }
  const auto record = nlohmann::json::parse(in);
  Captured out;
  out.status = record.value("status", 0);
  if (record.contains("headers") && record["headers"].contains("content-type")) {
    out.content_type = record["headers"]["content-type"].get<std::string>();
  }
  if (record.contains("body_raw") && record["body_raw"].is_string()) {
    out.body = record["body_raw"].get<std::string>();
  } else if (record.contains("body") && record["body"].is_string()) {
    out.body = record["body"].get<std::string>();
  } else if (record.contains("body") && !record["body"].is_null()) {
    out.body = record["body"].dump();
  }
  return out;
}

} // namespace cell0ctl::test
