// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A Store in an S3-compatible bucket (AWS S3, MinIO, Ceph RGW, ...), over libcurl, which signs
// each request with AWS Signature Version 4.

#include "lib/backup/store.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

namespace cell0ctl {
class Environ;
}

namespace cell0ctl::backup {

namespace s3 {
class Client;
}

struct S3Options
{
  std::string endpoint; // "https://s3.eu-west-1.amazonaws.com", "http://127.0.0.1:9000"
  std::string region = "us-east-1";
  std::string bucket;
  std::string prefix; // "cell0/host-a", no leading or trailing '/'; may be empty
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token; // temporary credentials (STS) only
  // "https://host/bucket/key" when set, else "https://bucket.host/key" (virtual-hosted).
  bool path_style = true;
  // Files larger than this are sent as a multipart upload of parts this large (at least 5 MiB
  // on AWS, which allows 10,000 parts: larger files get larger parts).
  std::uint64_t part_size = 64u << 20u;
  std::filesystem::path ca_file; // extra CA bundle for a private CA; TLS is always verified
  long connect_timeout_ms = 10'000;
  long idle_timeout_ms = 60'000; // a request that moves no byte for this long fails
  int attempts = 3;              // per request, for 5xx, 429, RequestTimeout and network errors
  long retry_delay_ms = 500;     // before the second attempt; doubled for each next one
  int list_page_size = 1000;     // objects per ListObjectsV2 page (1000 is S3's maximum)
};

// The options for the repository `url` ("s3://BUCKET" or "s3://BUCKET/PREFIX"). `endpoint` and
// `region` win when not empty; then AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS_REGION and
// AWS_DEFAULT_REGION of `environ`; the default endpoint is AWS's of the region, addressed
// virtual-hosted style (path style for any other endpoint). Credentials come from
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, else from the profile
// AWS_PROFILE (default "default") of the INI file AWS_SHARED_CREDENTIALS_FILE (default
// $HOME/.aws/credentials). Throws Error(Errc::usage) for an invalid URL or endpoint and for
// missing credentials, naming what to set; no message shows a secret.
S3Options s3_options(const std::string& url,
                     const std::string& endpoint,
                     const std::string& region,
                     const Environ& environ);

class S3Store final : public Store
{
public:
  // Throws Error(Errc::unknown) when libcurl cannot be set up; sends no request.
  explicit S3Store(S3Options options);
  ~S3Store() override;
  S3Store(const S3Store&) = delete;
  S3Store& operator=(const S3Store&) = delete;

  std::string describe() const override;
  void put_file(const std::string& name, const std::filesystem::path& file) override;
  void put(const std::string& name, std::string_view data) override;
  void get(const std::string& name, const std::function<void(std::string_view)>& sink) override;
  void get_file(const std::string& name, const std::filesystem::path& file) override;
  std::optional<std::string> get_small(const std::string& name) override;
  std::vector<ObjectInfo> list(const std::string& prefix) override;
  void remove(const std::string& name) override;

private:
  std::string key(const std::string& name) const;
  std::string where(const std::string& name) const;
  void put_multipart(const std::string& name,
                     const std::filesystem::path& file,
                     std::uint64_t size);

  S3Options m_options;
  std::unique_ptr<s3::Client> m_client;
};

} // namespace cell0ctl::backup
