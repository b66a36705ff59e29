// SPDX-License-Identifier: GPL-3.0-or-later
// The HTTP client over libcurl, built as a module (cell0ctl-http.so) that lib/sys/http.cpp
// loads on first use: libcurl and the libraries under it (GnuTLS, Kerberos, LDAP, ...) take
// longer to load and initialise than the rest of cell0ctl runs for --version or --help.
#include "lib/sys/http.hpp"

#include "cell0ctl_version.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <array>
#include <memory>

namespace cell0ctl {

namespace {

struct Sink
{
  std::string* body;
  std::size_t max;
  bool truncated = false;
};

std::size_t write_body(char* data, std::size_t size, std::size_t count, void* user)
{
  auto* sink = static_cast<Sink*>(user);
  const std::size_t bytes = size * count;
  if (sink->body->size() + bytes > sink->max) {
    sink->truncated = true;
    return 0; // makes libcurl stop with CURLE_WRITE_ERROR
  }
  sink->body->append(data, bytes);
  return bytes;
}

HttpError classify(CURLcode code)
{
  switch (code) {
  case CURLE_OK:
    return HttpError::none;
  case CURLE_COULDNT_CONNECT:
    return HttpError::refused;
  case CURLE_OPERATION_TIMEDOUT:
    return HttpError::timeout;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    return HttpError::resolve;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CACERT_BADFILE:
    return HttpError::tls;
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
  case CURLE_GOT_NOTHING:
  case CURLE_PARTIAL_FILE:
    return HttpError::reset;
  default:
    return HttpError::other;
  }
}

} // namespace

namespace {

HttpResponse perform(const HttpRequest& request)
{
  HttpResponse response;
  const auto total = request.deadline.remaining();
  if (total.count() <= 0) {
    response.error = HttpError::timeout;
    response.error_text = "no time left before the deadline";
    return response;
  }
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) {
    response.error = HttpError::other;
    response.error_text = "curl_easy_init failed";
    return response;
  }
  CURL* handle = curl.get();
  Sink sink{&response.body, request.max_body};
  std::array<char, CURL_ERROR_SIZE> error_buffer{};
  curl_slist* headers = nullptr;
  for (const std::string& header : request.headers) {
    headers = curl_slist_append(headers, header.c_str());
  }
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_list(headers,
                                                                          curl_slist_free_all);
  curl_easy_setopt(handle, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(handle, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(handle, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(std::min(request.connect_timeout, total).count()));
  curl_easy_setopt(handle, CURLOPT_TIMEOUT_MS, static_cast<long>(total.count()));
  curl_easy_setopt(handle, CURLOPT_WRITEFUNCTION, write_body);
  curl_easy_setopt(handle, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(handle, CURLOPT_ERRORBUFFER, error_buffer.data());
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(handle, CURLOPT_SSL_VERIFYHOST, 2L);
  curl_easy_setopt(handle, CURLOPT_USERAGENT, "cell0ctl/" CELL0CTL_VERSION);
  curl_easy_setopt(handle, CURLOPT_ACCEPT_ENCODING, "");
  curl_easy_setopt(handle, CURLOPT_PROTOCOLS_STR, "http,https");
  if (!request.ca_file.empty()) {
    curl_easy_setopt(handle, CURLOPT_CAINFO, request.ca_file.c_str());
  }
  if (headers != nullptr) {
    curl_easy_setopt(handle, CURLOPT_HTTPHEADER, headers);
  }
  if (request.method != "GET") {
    curl_easy_setopt(handle, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!request.body.empty()) {
    curl_easy_setopt(handle, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(handle, CURLOPT_POSTFIELDSIZE, static_cast<long>(request.body.size()));
  }

  const CURLcode code = curl_easy_perform(handle);
  double seconds = 0;
  curl_easy_getinfo(handle, CURLINFO_TOTAL_TIME, &seconds);
  response.elapsed_ms = seconds * 1000.0;
  if (code != CURLE_OK) {
    response.error = sink.truncated ? HttpError::too_large : classify(code);
    response.error_text = error_buffer[0] != '\0' ? error_buffer.data() : curl_easy_strerror(code);
    return response;
  }
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &response.status);
  char* content_type = nullptr;
  curl_easy_getinfo(handle, CURLINFO_CONTENT_TYPE, &content_type);
  if (content_type != nullptr) {
    response.content_type = content_type;
  }
  return response;
}

} // namespace

} // namespace cell0ctl

extern "C" {

int cell0ctl_http_abi()
{
  return cell0ctl::k_http_abi;
}

void cell0ctl_http_init()
{
  curl_global_init(CURL_GLOBAL_DEFAULT);
}

void cell0ctl_http_perform(const cell0ctl::HttpRequest* request, cell0ctl::HttpResponse* response)
{
  *response = cell0ctl::perform(*request);
}

} // extern "C"
