// SPDX-License-Identifier: GPL-3.0-or-later
// s3_options(): the repository URL, the endpoint and region, and the credentials, found where
// the aws CLI finds them, so that an operator's existing setup works as it is.
#include "lib/backup/s3_store.hpp"
#include "lib/core/environ.hpp"
#include "lib/core/error.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <optional>
#include <vector>

namespace cell0ctl::backup {

namespace {

constexpr std::string_view k_url_hint = "write it as s3://BUCKET or s3://BUCKET/PREFIX, such as "
                                        "s3://backups/cell0";

struct Credentials
{
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
};

std::string_view trim(std::string_view text)
{
  const std::size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string_view::npos) {
    return {};
  }
  return text.substr(begin, text.find_last_not_of(" \t\r") - begin + 1);
}

// S3's rules for new buckets: 3-63 lower-case letters, digits, dots and hyphens, starting and
// ending with a letter or digit.
bool valid_bucket(std::string_view bucket)
{
  const auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (bucket.size() < 3 || bucket.size() > 63 || !alnum(bucket.front()) || !alnum(bucket.back())) {
    return false;
  }
  return bucket.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789.-")
         == std::string_view::npos;
}

// No empty, "." or ".." segment: such keys mean other objects to some S3 implementations and
// proxies, which normalise paths.
bool valid_prefix(std::string_view prefix)
{
  std::size_t begin = 0;
  while (begin <= prefix.size()) {
    const std::size_t end = std::min(prefix.find('/', begin), prefix.size());
    const std::string_view segment = prefix.substr(begin, end - begin);
    if (segment.empty() || segment == "." || segment == "..") {
      return false;
    }
    begin = end + 1;
  }
  return true;
}

void parse_url(const std::string& url, S3Options& options)
{
  if (!url.starts_with("s3://")) {
    throw Error(Errc::usage,
                fmt::format("invalid S3 repository URL '{}': it does not start with s3://", url),
                std::string(k_url_hint));
  }
  const std::string_view rest = std::string_view(url).substr(5);
  const std::size_t slash = rest.find('/');
  options.bucket = std::string(rest.substr(0, slash));
  std::string_view prefix = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  while (prefix.ends_with('/')) {
    prefix.remove_suffix(1);
  }
  options.prefix = std::string(prefix);
  if (!valid_bucket(options.bucket)) {
    throw Error(Errc::usage,
                fmt::format("invalid S3 bucket name '{}' in '{}'", options.bucket, url),
                "a bucket name has 3 to 63 lower-case letters, digits, dots and hyphens");
  }
  if (!options.prefix.empty() && !valid_prefix(options.prefix)) {
    throw Error(Errc::usage,
                fmt::format("invalid prefix '{}' in '{}': it has an empty, '.' or '..' part",
                            options.prefix,
                            url),
                std::string(k_url_hint));
  }
}

// `endpoint`, from `source`, checked and without its trailing '/'.
std::string checked_endpoint(std::string endpoint, std::string_view source)
{
  const auto invalid = [&](std::string_view why) {
    // A URL with credentials in it is not echoed: they would end up in logs.
    return Error(
        Errc::usage,
        fmt::format("invalid S3 endpoint from {}: {}", source, why),
        "give the endpoint as http(s)://HOST[:PORT], such as https://s3.eu-west-1.amazonaws.com");
  };
  const std::size_t scheme_end = endpoint.find("://");
  const std::string scheme = endpoint.substr(0, scheme_end);
  if (scheme_end == std::string::npos || (scheme != "http" && scheme != "https")) {
    throw invalid("it does not start with http:// or https://");
  }
  const std::size_t host_begin = scheme_end + 3;
  const std::string_view authority =
      std::string_view(endpoint).substr(host_begin, endpoint.find('/', host_begin) - host_begin);
  if (authority.find('@') != std::string_view::npos) {
    throw invalid("it has a user name or password in it; give credentials in the environment");
  }
  if (authority.empty() || endpoint.find_first_of("?# ") != std::string::npos) {
    throw invalid(fmt::format("'{}' is not of the form http(s)://HOST[:PORT]", endpoint));
  }
  while (endpoint.ends_with('/')) {
    endpoint.pop_back();
  }
  return endpoint;
}

// The first of `values` that is not empty, with the name of where it came from.
std::pair<std::string, std::string> first_set(
    const std::vector<std::pair<std::string, std::optional<std::string>>>& values)
{
  for (const auto& [source, value] : values) {
    if (value && !value->empty()) {
      return {source, *value};
    }
  }
  return {};
}

std::optional<Credentials> environment_credentials(const Environ& environ)
{
  auto id = environ.non_empty("AWS_ACCESS_KEY_ID");
  auto secret = environ.non_empty("AWS_SECRET_ACCESS_KEY");
  if (!id && !secret) {
    return std::nullopt;
  }
  if (!id || !secret) {
    throw Error(Errc::usage,
                fmt::format("{} is set but {} is not",
                            id ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
                            id ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID"),
                "set both, or neither to use the shared credentials file");
  }
  return Credentials{*id, *secret, environ.non_empty("AWS_SESSION_TOKEN").value_or("")};
}

// The `key = value` lines of the section [`name`] of the INI text `text`, or nothing when it has
// no such section.
std::optional<std::map<std::string, std::string>> ini_section(std::istream& text,
                                                              std::string_view name)
{
  std::optional<std::map<std::string, std::string>> found;
  bool inside = false;
  std::string line;
  while (std::getline(text, line)) {
    const std::string_view content = trim(line);
    if (content.empty() || content.front() == '#' || content.front() == ';') {
      continue;
    }
    if (content.front() == '[' && content.back() == ']') {
      inside = trim(content.substr(1, content.size() - 2)) == name;
      if (inside && !found) {
        found.emplace();
      }
      continue;
    }
    const std::size_t eq = content.find('=');
    if (inside && eq != std::string_view::npos) {
      found->insert_or_assign(std::string(trim(content.substr(0, eq))),
                              std::string(trim(content.substr(eq + 1))));
    }
  }
  return found;
}

// Credentials from the profile AWS_PROFILE names of the shared credentials file, or nothing when
// the file or the default profile is absent. A profile or a file named explicitly must exist.
std::optional<Credentials> file_credentials(const Environ& environ, std::string& where)
{
  const auto named_file = environ.non_empty("AWS_SHARED_CREDENTIALS_FILE");
  const auto home = environ.non_empty("HOME");
  const auto named_profile = environ.non_empty("AWS_PROFILE");
  const std::string profile = named_profile.value_or("default");
  if (!named_file && !home) {
    where = fmt::format("the profile [{}] of ~/.aws/credentials", profile);
    return std::nullopt;
  }
  const std::string path = named_file ? *named_file : *home + "/.aws/credentials";
  where = fmt::format("the profile [{}] of {}", profile, path);
  std::ifstream file(path);
  if (!file) {
    if (named_file || named_profile) {
      throw Error(Errc::usage,
                  fmt::format("cannot read the AWS credentials file {}", path),
                  named_file ? "check AWS_SHARED_CREDENTIALS_FILE" : "check AWS_PROFILE and HOME");
    }
    return std::nullopt;
  }
  const auto section = ini_section(file, profile);
  if (!section) {
    if (named_profile) {
      throw Error(Errc::usage,
                  fmt::format("no profile [{}] in {}", profile, path),
                  "add the profile, or set AWS_PROFILE to one that is in the file");
    }
    return std::nullopt;
  }
  const auto value = [&](const std::string& key) {
    const auto it = section->find(key);
    return it == section->end() ? std::string() : it->second;
  };
  Credentials credentials{
      value("aws_access_key_id"), value("aws_secret_access_key"), value("aws_session_token")};
  if (credentials.access_key_id.empty() || credentials.secret_access_key.empty()) {
    throw Error(Errc::usage,
                fmt::format("the profile [{}] of {} has no {}",
                            profile,
                            path,
                            credentials.access_key_id.empty() ? "aws_access_key_id"
                                                              : "aws_secret_access_key"),
                "add aws_access_key_id and aws_secret_access_key to the profile");
  }
  return credentials;
}

} // namespace

S3Options s3_options(const std::string& url,
                     const std::string& endpoint,
                     const std::string& region,
                     const Environ& environ)
{
  S3Options options;
  parse_url(url, options);

  const auto [region_source, region_value] = first_set({
      {"the region option", region},
      {"AWS_REGION", environ.get("AWS_REGION")},
      {"AWS_DEFAULT_REGION", environ.get("AWS_DEFAULT_REGION")},
  });
  if (!region_value.empty()) {
    // libcurl takes the region inside "aws:amz:REGION:s3", 64 characters at most.
    if (region_value.size() > 64
        || region_value.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-")
               != std::string::npos) {
      throw Error(Errc::usage,
                  fmt::format("invalid S3 region '{}' from {}", region_value, region_source),
                  "give a region name such as eu-west-1");
    }
    options.region = region_value;
  }

  const auto [endpoint_source, endpoint_value] = first_set({
      {"the endpoint option", endpoint},
      {"AWS_ENDPOINT_URL_S3", environ.get("AWS_ENDPOINT_URL_S3")},
      {"AWS_ENDPOINT_URL", environ.get("AWS_ENDPOINT_URL")},
  });
  if (endpoint_value.empty()) {
    // AWS itself: virtual-hosted style, which AWS prefers, unless a dot in the bucket name would
    // not match the certificate's *.s3.REGION.amazonaws.com.
    options.endpoint = fmt::format("https://s3.{}.amazonaws.com", options.region);
    options.path_style = options.bucket.find('.') != std::string::npos;
  } else {
    options.endpoint = checked_endpoint(endpoint_value, endpoint_source);
    options.path_style = true;
  }

  std::string file_source;
  std::optional<Credentials> credentials = environment_credentials(environ);
  if (!credentials) {
    credentials = file_credentials(environ, file_source);
  }
  if (!credentials) {
    throw Error(Errc::usage,
                fmt::format("no S3 credentials for {}", url),
                fmt::format("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put "
                            "aws_access_key_id and aws_secret_access_key in {}",
                            file_source));
  }
  options.access_key_id = std::move(credentials->access_key_id);
  options.secret_access_key = std::move(credentials->secret_access_key);
  options.session_token = std::move(credentials->session_token);
  return options;
}

} // namespace cell0ctl::backup
