// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/s3_protocol.hpp"

#include "lib/backup/s3_xml.hpp"

#include <fmt/format.h>

#include <algorithm>

namespace cell0ctl::backup::s3 {

namespace {

std::string hint_for(std::string_view code, long status)
{
  if (code == "NoSuchBucket") {
    return "check the bucket name and the endpoint, or create the bucket";
  }
  if (code == "AccessDenied" || code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch"
      || code == "InvalidToken" || code == "ExpiredToken") {
    return "check the credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or the profile "
           "AWS_PROFILE names) and that they may use this bucket";
  }
  if (code == "AuthorizationHeaderMalformed" || code == "PermanentRedirect") {
    return "set the bucket's region (AWS_REGION) and endpoint";
  }
  if (code == "RequestTimeTooSkewed") {
    return "set this host's clock right (timedatectl)";
  }
  if (code == "NoSuchKey") {
    return "check the repository URL; the object is not in it";
  }
  if (status >= 500 || status == 429) {
    return "the S3 service is failing or busy: try again later";
  }
  return "check the repository URL, the endpoint and the credentials";
}

} // namespace

std::string uri_encode(std::string_view text, bool keep_slash)
{
  static constexpr std::string_view k_hex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') || (byte >= '0' && byte <= '9')
        || c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash)) {
      out += c;
    } else {
      out += '%';
      out += k_hex[byte >> 4u];
      out += k_hex[byte & 0xFu];
    }
  }
  return out;
}

std::string canonical_query(Query query)
{
  for (auto& [name, value] : query) {
    name = uri_encode(name, false);
    value = uri_encode(value, false);
  }
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) {
      out += '&';
    }
    out += name + "=" + value;
  }
  return out;
}

std::string request_url(const S3Options& options, std::string_view key, const Query& query)
{
  std::string url;
  if (options.path_style) {
    url = options.endpoint + "/" + options.bucket;
  } else {
    const std::size_t host = options.endpoint.find("://") + 3;
    url = options.endpoint.substr(0, host) + options.bucket + "." + options.endpoint.substr(host);
  }
  // "/bucket" and "/bucket/" are both the bucket; a virtual-hosted URL needs its "/".
  if (!key.empty() || !options.path_style) {
    url += "/" + uri_encode(key, true);
  }
  if (!query.empty()) {
    url += "?" + canonical_query(query);
  }
  return url;
}

std::string error_code(const Reply& reply)
{
  return xml_text(reply.body, "Code").value_or("");
}

Error reply_error(const Reply& reply, const std::string& what)
{
  const std::string code = error_code(reply);
  if (code.empty()) {
    return Error(
        Errc::failed, fmt::format("{}: HTTP {}", what, reply.status), hint_for("", reply.status));
  }
  const std::string message = xml_text(reply.body, "Message").value_or("");
  return Error(Errc::failed,
               fmt::format("{}: {}{}{}", what, code, message.empty() ? "" : ": ", message),
               hint_for(code, reply.status));
}

} // namespace cell0ctl::backup::s3
