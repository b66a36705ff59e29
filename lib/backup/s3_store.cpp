// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/s3_store.hpp"

#include "lib/backup/repository.hpp"
#include "lib/backup/s3_client.hpp"
#include "lib/backup/s3_xml.hpp"
#include "lib/core/error.hpp"
#include "lib/util/strings.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>

namespace cell0ctl::backup {

namespace fs = std::filesystem;

namespace {

// S3 allows 10,000 parts per upload.
constexpr std::uint64_t k_max_parts = 10'000;

bool success(const s3::Reply& reply)
{
  return reply.status >= 200 && reply.status < 300;
}

bool no_such_key(const s3::Reply& reply)
{
  return reply.status == 404 && s3::error_code(reply) == "NoSuchKey";
}

// Names are relative paths, as a local folder would hold them: no empty, "." or ".." part.
bool valid_name(std::string_view name)
{
  std::size_t begin = 0;
  while (begin <= name.size()) {
    const std::size_t end = std::min(name.find('/', begin), name.size());
    const std::string_view part = name.substr(begin, end - begin);
    if (part.empty() || part == "." || part == "..") {
      return false;
    }
    begin = end + 1;
  }
  return true;
}

std::uint64_t parse_size(const std::optional<std::string>& text, const std::string& what)
{
  std::uint64_t size = 0;
  const std::string digits = text.value_or("");
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), size);
  if (digits.empty() || error != std::errc() || end != digits.data() + digits.size()) {
    throw Error(Errc::failed,
                fmt::format("{}: the listing has an object without a valid <Size>", what),
                "check that the endpoint is an S3 service");
  }
  return size;
}

// Best effort: the upload's own error is the one to report. Parts an abort fails to remove cost
// storage until a bucket lifecycle rule (AbortIncompleteMultipartUpload) removes them.
void abort_upload(s3::Client& client,
                  const S3Options& options,
                  const std::string& key,
                  const std::string& upload_id)
{
  s3::Call call;
  call.method = "DELETE";
  call.url = s3::request_url(options, key, {{"uploadId", upload_id}});
  try {
    client.send(call, "cannot abort the upload of " + key);
  } catch (const Error&) {
  }
}

// Sends `size` bytes of `file` as the parts of the upload `upload_id` of `key`, each read from
// the file as it is sent; returns the <Part> list that CompleteMultipartUpload takes.
std::string send_parts(s3::Client& client,
                       const S3Options& options,
                       const std::string& key,
                       const std::string& upload_id,
                       const fs::path& file,
                       std::uint64_t size,
                       const std::string& what)
{
  const std::uint64_t part_size =
      std::max(options.part_size, (size + k_max_parts - 1) / k_max_parts);
  std::string parts;
  int number = 1;
  for (std::uint64_t offset = 0; offset < size; offset += part_size, ++number) {
    s3::Call part;
    part.method = "PUT";
    part.url = s3::request_url(
        options, key, {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}});
    part.file = file;
    part.offset = offset;
    part.length = std::min(part_size, size - offset);
    const std::string part_what = fmt::format("{} (part {})", what, number);
    const s3::Reply reply = client.send(part, part_what);
    if (!success(reply)) {
      throw s3::reply_error(reply, part_what);
    }
    if (reply.etag.empty()) {
      throw Error(Errc::failed,
                  part_what + ": the answer has no ETag",
                  "check that the endpoint is an S3 service");
    }
    parts += fmt::format("<Part><PartNumber>{}</PartNumber><ETag>{}</ETag></Part>",
                         number,
                         util::xml_escape(reply.etag));
  }
  return parts;
}

} // namespace

S3Store::S3Store(S3Options options)
    : m_options(std::move(options)), m_client(std::make_unique<s3::Client>(m_options))
{}

S3Store::~S3Store() = default;

std::string S3Store::describe() const
{
  return "s3://" + m_options.bucket + (m_options.prefix.empty() ? "" : "/" + m_options.prefix);
}

std::string S3Store::key(const std::string& name) const
{
  if (!valid_name(name)) {
    throw Error(Errc::failed,
                fmt::format("invalid object name '{}' in {}", name, describe()),
                "use a relative name such as snapshots/x.json");
  }
  return m_options.prefix.empty() ? name : m_options.prefix + "/" + name;
}

std::string S3Store::where(const std::string& name) const
{
  return describe() + "/" + name;
}

void S3Store::put(const std::string& name, std::string_view data)
{
  s3::Call call;
  call.method = "PUT";
  call.url = s3::request_url(m_options, key(name), {});
  call.data = data;
  const std::string what = "cannot write " + where(name);
  const s3::Reply reply = m_client->send(call, what);
  if (!success(reply)) {
    throw s3::reply_error(reply, what);
  }
}

void S3Store::put_file(const std::string& name, const fs::path& file)
{
  std::error_code error;
  const std::uint64_t size = fs::file_size(file, error);
  if (error) {
    throw Error(Errc::failed,
                fmt::format("cannot read {}: {}", file.string(), error.message()),
                "check that the file exists and is readable");
  }
  if (size > m_options.part_size) {
    put_multipart(name, file, size);
    return;
  }
  s3::Call call;
  call.method = "PUT";
  call.url = s3::request_url(m_options, key(name), {});
  call.file = file;
  call.length = size;
  const std::string what = "cannot write " + where(name);
  const s3::Reply reply = m_client->send(call, what);
  if (!success(reply)) {
    throw s3::reply_error(reply, what);
  }
}

// Readers see no object until CompleteMultipartUpload, so a failure at any part leaves the old
// object (or none) in place; the upload is then aborted to free its parts.
void S3Store::put_multipart(const std::string& name, const fs::path& file, std::uint64_t size)
{
  const std::string object = key(name);
  const std::string what = "cannot write " + where(name);
  s3::Call create;
  create.method = "POST";
  create.url = s3::request_url(m_options, object, {{"uploads", ""}});
  const s3::Reply created = m_client->send(create, what);
  const std::optional<std::string> upload_id = s3::xml_text(created.body, "UploadId");
  if (!success(created)) {
    throw s3::reply_error(created, what);
  }
  if (!upload_id || upload_id->empty()) {
    throw Error(Errc::failed,
                what + ": the answer to CreateMultipartUpload has no UploadId",
                "check that the endpoint is an S3 service");
  }
  try {
    const std::string parts =
        send_parts(*m_client, m_options, object, *upload_id, file, size, what);
    const std::string body = "<CompleteMultipartUpload>" + parts + "</CompleteMultipartUpload>";
    s3::Call complete;
    complete.method = "POST";
    complete.url = s3::request_url(m_options, object, {{"uploadId", *upload_id}});
    complete.data = body;
    const s3::Reply reply = m_client->send(complete, what);
    // S3 may answer 200 and only then fail, with an <Error> body.
    if (!success(reply) || !s3::error_code(reply).empty()) {
      throw s3::reply_error(reply, what);
    }
  } catch (...) {
    abort_upload(*m_client, m_options, object, *upload_id);
    throw;
  }
}

void S3Store::get(const std::string& name, const std::function<void(std::string_view)>& sink)
{
  s3::Call call;
  call.url = s3::request_url(m_options, key(name), {});
  call.sink = sink;
  const std::string what = "cannot read " + where(name);
  const s3::Reply reply = m_client->send(call, what);
  if (!success(reply)) {
    throw s3::reply_error(reply, what);
  }
}

void S3Store::get_file(const std::string& name, const fs::path& file)
{
  const fs::path partial = file.string() + ".partial";
  const auto write_error = [&] {
    return Error(Errc::failed,
                 fmt::format("cannot write {}: {}", partial.string(), std::strerror(errno)),
                 "check the free space and the permissions of the folder");
  };
  try {
    {
      std::ofstream out(partial, std::ios::binary | std::ios::trunc);
      if (!out) {
        throw write_error();
      }
      get(name, [&](std::string_view data) {
        if (!out.write(data.data(), static_cast<std::streamsize>(data.size()))) {
          throw write_error();
        }
      });
      if (!out.flush()) {
        throw write_error();
      }
    }
    sync_path(partial);
    fs::rename(partial, file);
    sync_path(file.has_parent_path() ? file.parent_path() : fs::path("."));
  } catch (...) {
    std::error_code ignored;
    fs::remove(partial, ignored);
    throw;
  }
}

std::optional<std::string> S3Store::get_small(const std::string& name)
{
  s3::Call call;
  call.url = s3::request_url(m_options, key(name), {});
  const std::string what = "cannot read " + where(name);
  s3::Reply reply = m_client->send(call, what);
  if (no_such_key(reply)) {
    return std::nullopt;
  }
  if (!success(reply)) {
    throw s3::reply_error(reply, what);
  }
  return std::move(reply.body);
}

std::vector<ObjectInfo> S3Store::list(const std::string& prefix)
{
  const std::string full_prefix =
      m_options.prefix.empty() ? prefix : m_options.prefix + "/" + prefix;
  const std::size_t strip = m_options.prefix.empty() ? 0 : m_options.prefix.size() + 1;
  const std::string what = "cannot list " + where(prefix);
  std::vector<ObjectInfo> objects;
  std::string token;
  do {
    s3::Query query = {{"list-type", "2"},
                       {"max-keys", std::to_string(m_options.list_page_size)},
                       {"prefix", full_prefix}};
    if (!token.empty()) {
      query.emplace_back("continuation-token", token);
    }
    s3::Call call;
    call.url = s3::request_url(m_options, "", query);
    const s3::Reply reply = m_client->send(call, what);
    if (!success(reply)) {
      throw s3::reply_error(reply, what);
    }
    for (const std::string_view contents : s3::xml_elements(reply.body, "Contents")) {
      const std::string object_key = s3::xml_text(contents, "Key").value_or("");
      // A key equal to the prefix with a '/' is a console's "folder", not an object of ours.
      if (object_key.size() > strip) {
        objects.push_back(
            {object_key.substr(strip), parse_size(s3::xml_text(contents, "Size"), what)});
      }
    }
    token.clear();
    if (s3::xml_text(reply.body, "IsTruncated") == "true") {
      token = s3::xml_text(reply.body, "NextContinuationToken").value_or("");
      if (token.empty()) {
        throw Error(Errc::failed,
                    what + ": a truncated listing has no NextContinuationToken",
                    "check that the endpoint is an S3 service");
      }
    }
  } while (!token.empty());
  std::sort(objects.begin(), objects.end(), [](const ObjectInfo& a, const ObjectInfo& b) {
    return a.name < b.name;
  });
  return objects;
}

void S3Store::remove(const std::string& name)
{
  s3::Call call;
  call.method = "DELETE";
  call.url = s3::request_url(m_options, key(name), {});
  const std::string what = "cannot remove " + where(name);
  const s3::Reply reply = m_client->send(call, what);
  if (!success(reply) && !no_such_key(reply)) {
    throw s3::reply_error(reply, what);
  }
}

} // namespace cell0ctl::backup
