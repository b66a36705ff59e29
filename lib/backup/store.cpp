// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/store.hpp"

#include "lib/backup/repository.hpp"
#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace cell0ctl::backup {

namespace {

bool ends_with(std::string_view text, std::string_view suffix)
{
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

} // namespace

fs::path LocalStore::path_of(const std::string& name) const
{
  const fs::path relative = fs::path(name).lexically_normal();
  if (name.empty() || relative.is_absolute() || *relative.begin() == "..") {
    throw Error(Errc::failed, fmt::format("'{}' is not an object name of {}", name, m_root.string()));
  }
  return m_root / relative;
}

std::optional<fs::path> LocalStore::local_path(const std::string& name) const
{
  return path_of(name);
}

void LocalStore::put_file(const std::string& name, const fs::path& file)
{
  const fs::path path = path_of(name);
  const fs::path partial = path.string() + ".partial";
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  fs::copy_file(file, partial, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    fs::remove(partial);
    throw Error(Errc::failed, fmt::format("cannot copy {} to {}: {}", file.string(), partial.string(),
                                          ec.message()),
                "check free space and permissions of the repository");
  }
  try {
    sync_path(partial);
    fs::rename(partial, path);
    sync_path(path.parent_path());
  } catch (...) {
    fs::remove(partial, ec);
    throw;
  }
}

void LocalStore::put(const std::string& name, std::string_view data)
{
  const fs::path path = path_of(name);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  write_file_atomically(path, data);
}

void LocalStore::get(const std::string& name, const std::function<void(std::string_view)>& sink)
{
  const fs::path path = path_of(name);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw Error(Errc::failed, fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  std::array<char, 1 << 16> buffer{};
  while (in) {
    in.read(buffer.data(), buffer.size());
    if (in.gcount() > 0) {
      sink(std::string_view(buffer.data(), static_cast<std::size_t>(in.gcount())));
    }
  }
  if (in.bad()) {
    throw Error(Errc::failed, fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
}

void LocalStore::get_file(const std::string& name, const fs::path& file)
{
  const fs::path partial = file.string() + ".partial";
  std::error_code ec;
  fs::copy_file(path_of(name), partial, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    fs::remove(partial, ec);
    throw Error(Errc::failed, fmt::format("cannot copy {} to {}: {}", path_of(name).string(), file.string(),
                                          ec.message()));
  }
  fs::rename(partial, file);
}

std::optional<std::string> LocalStore::get_small(const std::string& name)
{
  const fs::path path = path_of(name);
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    throw Error(Errc::failed, fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  return text.str();
}

std::vector<ObjectInfo> LocalStore::list(const std::string& prefix)
{
  std::vector<ObjectInfo> objects;
  std::error_code ec;
  if (!fs::exists(m_root, ec)) {
    return objects; // like an empty prefix of a bucket
  }
  for (fs::recursive_directory_iterator it(m_root, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) {
      continue;
    }
    const std::string name = it->path().lexically_relative(m_root).generic_string();
    if (name.rfind(prefix, 0) != 0 || ends_with(name, ".partial") || name == "lock") {
      continue;
    }
    objects.push_back({name, it->file_size(ec)});
  }
  if (ec) {
    throw Error(Errc::failed, fmt::format("cannot list {}: {}", m_root.string(), ec.message()));
  }
  std::sort(objects.begin(), objects.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.name < b.name; });
  return objects;
}

void LocalStore::remove(const std::string& name)
{
  std::error_code ec;
  if (!fs::remove(path_of(name), ec) && ec) {
    throw Error(Errc::failed, fmt::format("cannot remove {}: {}", path_of(name).string(), ec.message()));
  }
}

} // namespace cell0ctl::backup
