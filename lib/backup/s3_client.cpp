// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/backup/s3_client.hpp"

#include "lib/util/sha256.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <thread>

#include "cell0ctl_version.hpp"
#include <fcntl.h>
#include <unistd.h>

namespace cell0ctl::backup::s3 {

namespace {

// Error bodies are a few hundred bytes of XML; a proxy's HTML page is cut.
constexpr std::size_t k_max_error_body = 64u << 10u;
constexpr std::size_t k_hash_block = 1u << 20u;

class Fd
{
public:
  explicit Fd(int fd) : m_fd(fd) {}
  ~Fd()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return m_fd; }

private:
  int m_fd;
};

class HeaderList
{
public:
  HeaderList() = default;
  ~HeaderList() { curl_slist_free_all(m_list); }
  HeaderList(const HeaderList&) = delete;
  HeaderList& operator=(const HeaderList&) = delete;

  void add(const std::string& header)
  {
    curl_slist* list = curl_slist_append(m_list, header.c_str());
    if (list == nullptr) {
      throw std::bad_alloc();
    }
    m_list = list;
  }
  curl_slist* get() const { return m_list; }

private:
  curl_slist* m_list = nullptr;
};

// The body being sent: `data`, or `length` bytes of the file `fd` from `offset`.
struct Upload
{
  std::string_view data;
  int fd = -1;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  std::uint64_t sent = 0; // position in the body
  int error = 0;          // errno of a failed read; 0 with `failed` when the file shrank
  bool failed = false;
};

std::size_t read_body(char* buffer, std::size_t size, std::size_t count, void* user)
{
  auto* upload = static_cast<Upload*>(user);
  const auto want = static_cast<std::size_t>(
      std::min<std::uint64_t>(size * count, upload->length - upload->sent));
  if (want == 0) {
    return 0;
  }
  if (upload->fd < 0) {
    std::memcpy(buffer, upload->data.data() + upload->sent, want);
    upload->sent += want;
    return want;
  }
  const ssize_t got =
      ::pread(upload->fd, buffer, want, static_cast<off_t>(upload->offset + upload->sent));
  if (got <= 0) {
    upload->error = got < 0 ? errno : 0;
    upload->failed = true;
    return CURL_READFUNC_ABORT;
  }
  upload->sent += static_cast<std::uint64_t>(got);
  return static_cast<std::size_t>(got);
}

// libcurl rewinds the body when it must send it again within one transfer (a 417 answer to
// "Expect: 100-continue", a connection closed before the answer).
int seek_body(void* user, curl_off_t offset, int origin)
{
  auto* upload = static_cast<Upload*>(user);
  if (origin != SEEK_SET || offset < 0 || static_cast<std::uint64_t>(offset) > upload->length) {
    return CURL_SEEKFUNC_FAIL;
  }
  upload->sent = static_cast<std::uint64_t>(offset);
  return CURL_SEEKFUNC_OK;
}

// The answer being received, over all attempts of one Call.
struct Download
{
  CURL* curl = nullptr;
  const std::function<void(std::string_view)>* sink = nullptr; // null: all to `body`
  std::string body;            // this attempt's body, when not the sink's
  std::uint64_t delivered = 0; // bytes given to the sink, over all attempts
  std::uint64_t position = 0;  // in the object, of this attempt's next byte
  bool started = false;        // this attempt's body has begun
  std::string etag;            // of the object the sink's bytes came from
  std::exception_ptr error;    // what the sink threw
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user)
{
  auto* download = static_cast<Download*>(user);
  const std::size_t bytes = size * count;
  long status = 0;
  curl_easy_getinfo(download->curl, CURLINFO_RESPONSE_CODE, &status);
  const bool success = status >= 200 && status < 300;
  if (download->sink == nullptr || !success) {
    if (success || download->body.size() < k_max_error_body) {
      download->body.append(data, bytes);
    }
    return bytes;
  }
  if (!download->started) {
    // A resumed request asked for the rest (206); a server that ignores Range sends it all
    // (200), and the part already delivered is skipped.
    download->position = status == 206 ? download->delivered : 0;
    download->started = true;
  }
  std::string_view chunk(data, bytes);
  if (download->position < download->delivered) {
    const auto skip = static_cast<std::size_t>(
        std::min<std::uint64_t>(bytes, download->delivered - download->position));
    chunk.remove_prefix(skip);
    download->position += skip;
  }
  if (!chunk.empty()) {
    try {
      (*download->sink)(chunk);
    } catch (...) {
      download->error = std::current_exception();
      return 0; // makes libcurl stop with CURLE_WRITE_ERROR
    }
    download->delivered += chunk.size();
    download->position += chunk.size();
  }
  return bytes;
}

std::string header_value(CURL* curl, const char* name)
{
  curl_header* header = nullptr;
  if (curl_easy_header(curl, name, 0, CURLH_HEADER, -1, &header) != CURLHE_OK) {
    return {};
  }
  return header->value;
}

std::string hash_body(const Upload& upload, const std::filesystem::path& file)
{
  if (upload.fd < 0) {
    return util::sha256_hex(upload.data);
  }
  util::Sha256 sha;
  std::string block(k_hash_block, '\0');
  std::uint64_t done = 0;
  while (done < upload.length) {
    const auto want =
        static_cast<std::size_t>(std::min<std::uint64_t>(block.size(), upload.length - done));
    const ssize_t got =
        ::pread(upload.fd, block.data(), want, static_cast<off_t>(upload.offset + done));
    if (got <= 0) {
      throw Error(Errc::failed,
                  fmt::format("cannot read {}: {}",
                              file.string(),
                              got < 0 ? std::strerror(errno) : "it is shorter than expected"),
                  "check that nothing changes the file while it is stored");
    }
    sha.update(std::string_view(block.data(), static_cast<std::size_t>(got)));
    done += static_cast<std::uint64_t>(got);
  }
  return sha.hex();
}

// The outcome of one attempt.
struct Exchange
{
  CURLcode code = CURLE_OK;
  std::string error_text;
  Reply reply;
};

// Sets up `curl` for `call`, with the body from `upload`, the answer into `download`, and signed
// with the credentials. `headers` and `error_buffer` must live until the transfer ends.
void configure(CURL* curl,
               const S3Options& options,
               const Call& call,
               const HeaderList& headers,
               Upload& upload,
               Download& download,
               char* error_buffer)
{
  curl_easy_reset(curl); // keeps the open connection
  curl_easy_setopt(curl, CURLOPT_URL, call.url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(
      curl, CURLOPT_LOW_SPEED_TIME, std::max(1L, (options.idle_timeout_ms + 999) / 1000));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  if (!options.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "cell0ctl/" CELL0CTL_VERSION);
  const std::string sigv4 = "aws:amz:" + options.region + ":s3"; // libcurl copies it
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, options.access_key_id.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, options.secret_access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &download);
  if (call.method == "PUT" || call.method == "POST") {
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_SEEKFUNCTION, seek_body);
    curl_easy_setopt(curl, CURLOPT_SEEKDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(upload.length));
  }
  if (call.method != "GET" && call.method != "PUT") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  }
}

// Sends `call` once. The payload hash goes in x-amz-content-sha256, which libcurl 7.88 then signs
// as the hash of the body instead of hashing the POSTFIELDS it does not have (it would sign the
// hash of an empty body). Signing the hash rather than "UNSIGNED-PAYLOAD" costs a second read of
// each part, and buys what TLS does not give: S3 rejects a body that changed between this host's
// disk and its own (XAmzContentSHA256Mismatch), and plain-HTTP endpoints on a LAN are covered too.
Exchange perform(CURL* curl,
                 const S3Options& options,
                 const Call& call,
                 const std::string& payload_hash,
                 Upload& upload,
                 Download& download)
{
  HeaderList headers;
  for (const std::string& header : call.headers) {
    headers.add(header);
  }
  headers.add("x-amz-content-sha256: " + payload_hash);
  if (!options.session_token.empty()) {
    headers.add("x-amz-security-token: " + options.session_token);
  }
  const bool resumed = download.delivered > 0;
  if (resumed) {
    headers.add(fmt::format("Range: bytes={}-", download.delivered));
    headers.add("If-Match: " + download.etag);
  }
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  configure(curl, options, call, headers, upload, download, error_buffer.data());
  upload.sent = 0;
  download.body.clear();
  download.started = false;

  Exchange exchange;
  exchange.code = curl_easy_perform(curl);
  exchange.error_text =
      error_buffer[0] != '\0' ? error_buffer.data() : curl_easy_strerror(exchange.code);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &exchange.reply.status);
  exchange.reply.body = std::move(download.body);
  exchange.reply.etag = header_value(curl, "ETag");
  if (!resumed && exchange.reply.status >= 200 && exchange.reply.status < 300) {
    download.etag = exchange.reply.etag;
  }
  return exchange;
}

bool transient(CURLcode code)
{
  switch (code) {
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
  case CURLE_OPERATION_TIMEDOUT:
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
    return true;
  default:
    return false;
  }
}

// 5xx and 429 are S3's "try again" (InternalError, SlowDown, ServiceUnavailable). Of the 4xx
// only RequestTimeout is: S3 closed a connection on which the body came too slowly.
bool transient(const Reply& reply)
{
  return reply.status >= 500 || reply.status == 429
         || (reply.status == 400 && error_code(reply) == "RequestTimeout");
}

bool tls_failure(CURLcode code)
{
  return code == CURLE_SSL_CONNECT_ERROR || code == CURLE_PEER_FAILED_VERIFICATION
         || code == CURLE_SSL_CERTPROBLEM || code == CURLE_SSL_CACERT_BADFILE;
}

Error network_error(const S3Options& options,
                    const std::string& what,
                    const Exchange& exchange,
                    int attempts)
{
  std::string message = fmt::format("{}: {}", what, exchange.error_text);
  if (attempts > 1) {
    message += fmt::format(" ({} attempts)", attempts);
  }
  if (tls_failure(exchange.code)) {
    return Error(
        Errc::failed,
        message,
        fmt::format("check the certificate of {}; for a private CA, give its bundle as the "
                    "CA file",
                    options.endpoint));
  }
  return Error(Errc::failed,
               message,
               fmt::format("check that the endpoint {} is right and reachable", options.endpoint));
}

} // namespace

Client::Client(const S3Options& options) : m_options(options)
{
  // Thread-safe in libcurl >= 7.84, and done once however many Clients there are.
  static const CURLcode k_init = curl_global_init(CURL_GLOBAL_DEFAULT);
  m_curl = k_init == CURLE_OK ? curl_easy_init() : nullptr;
  if (m_curl == nullptr) {
    throw Error(Errc::unknown, "cannot initialise libcurl", "check the libcurl installation");
  }
}

Client::~Client()
{
  curl_easy_cleanup(m_curl);
}

Reply Client::send(const Call& call, const std::string& what)
{
  Upload upload;
  const bool has_body = call.method == "PUT" || call.method == "POST";
  Fd file(call.file.empty() ? -1 : ::open(call.file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!call.file.empty()) {
    if (file.get() < 0) {
      throw Error(Errc::failed,
                  fmt::format("cannot read {}: {}", call.file.string(), std::strerror(errno)),
                  "check that the file exists and is readable");
    }
    upload.fd = file.get();
    upload.offset = call.offset;
    upload.length = call.length;
  } else {
    upload.data = call.data;
    upload.length = call.data.size();
  }
  const std::string payload_hash =
      has_body ? hash_body(upload, call.file) : util::sha256_hex(std::string_view());

  Download download;
  download.curl = m_curl;
  download.sink = call.sink ? &call.sink : nullptr;
  for (int attempt = 1;; ++attempt) {
    Exchange exchange = perform(m_curl, m_options, call, payload_hash, upload, download);
    if (download.error) {
      std::rethrow_exception(download.error);
    }
    if (upload.failed) {
      throw Error(Errc::failed,
                  fmt::format("cannot read {}: {}",
                              call.file.string(),
                              upload.error != 0 ? std::strerror(upload.error) : "it got shorter"),
                  "check that nothing changes the file while it is stored");
    }
    const bool last = attempt >= m_options.attempts;
    if (exchange.code == CURLE_OK) {
      if (last || !transient(exchange.reply)) {
        return std::move(exchange.reply);
      }
    } else if (last || !transient(exchange.code)
               || (download.delivered > 0 && download.etag.empty())) {
      throw network_error(m_options, what, exchange, attempt);
    }
    std::this_thread::sleep_for(
        std::chrono::milliseconds(m_options.retry_delay_ms << (attempt - 1)));
  }
}

} // namespace cell0ctl::backup::s3
