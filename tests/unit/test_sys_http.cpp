// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/sys/http.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>

using namespace cell0ctl;
using namespace std::chrono_literals;

namespace {

HttpRequest get(const std::string& url)
{
  HttpRequest request;
  request.url = url;
  request.deadline = Deadline::after(10s);
  return request;
}

} // namespace

TEST_CASE("http_request")
{
  SUBCASE("a captured Cell 0 answer comes back with status, content type and body unchanged")
  {
    if (test::fixtures().empty()) {
      MESSAGE("../shared/fixtures absent: skipped");
      return;
    }
    const test::Captured health = test::captured("cell0d-GET-health");
    test::HttpServer server({{"GET /health", {health.status, health.content_type, health.body}}});
    const HttpResponse response = http_request(get(server.url() + "/health"));
    CHECK(response.answered());
    CHECK(response.error == HttpError::none);
    CHECK(response.status == 200);
    CHECK(response.content_type == "application/json");
    CHECK(response.body == health.body);
    CHECK(server.requests() == 1);
  }

  SUBCASE("an HTTP error status is an answer, not an error")
  {
    test::HttpServer server({{"GET /ready", {503, "text/plain", "starting"}}});
    const HttpResponse missing = http_request(get(server.url() + "/nosuch"));
    CHECK(missing.answered());
    CHECK(missing.status == 404);
    const HttpResponse ready = http_request(get(server.url() + "/ready"));
    CHECK(ready.status == 503);
    CHECK(ready.content_type == "text/plain");
    CHECK(ready.body == "starting");
  }

  SUBCASE("the method and body of the request are sent")
  {
    test::HttpServer server([](const std::string& method, const std::string& path) {
      return test::Reply{200, "text/plain", method + " " + path, false};
    });
    HttpRequest request = get(server.url() + "/api/agents/x/restart");
    request.method = "POST";
    request.body = R"({"a": 1})";
    request.headers = {"Content-Type: application/json"};
    const HttpResponse response = http_request(request);
    CHECK(response.status == 200);
    CHECK(response.body == "POST /api/agents/x/restart");
  }

  SUBCASE("a closed port is refused")
  {
    const HttpResponse response =
        http_request(get("http://127.0.0.1:" + std::to_string(test::closed_port()) + "/"));
    CHECK_FALSE(response.answered());
    CHECK(response.error == HttpError::refused);
    CHECK_FALSE(response.error_text.empty());
    CHECK(response.status == 0);
  }

  SUBCASE("a server that never answers is a timeout at the deadline")
  {
    test::HttpServer server({{"GET /health", test::Reply{.body = {}, .no_answer = true}}});
    HttpRequest request = get(server.url() + "/health");
    request.deadline = Deadline::after(300ms);
    const HttpResponse response = http_request(request);
    CHECK(response.error == HttpError::timeout);
    CHECK(response.body.empty());
  }

  SUBCASE("a deadline already passed sends nothing")
  {
    test::HttpServer server({{"GET /health", {200, "application/json", "{}"}}});
    HttpRequest request = get(server.url() + "/health");
    request.deadline = Deadline{std::chrono::steady_clock::now() - 1s};
    CHECK(http_request(request).error == HttpError::timeout);
    CHECK(server.requests() == 0);
  }

  SUBCASE("a body larger than max_body is cut and flagged")
  {
    test::HttpServer server({{"GET /big", {200, "text/plain", std::string(4096, 'x')}}});
    HttpRequest request = get(server.url() + "/big");
    request.max_body = 100;
    const HttpResponse response = http_request(request);
    CHECK(response.error == HttpError::too_large);
    CHECK(response.body.size() <= 100);
  }

  SUBCASE("a body of exactly max_body is whole")
  {
    test::HttpServer server({{"GET /big", {200, "text/plain", std::string(100, 'x')}}});
    HttpRequest request = get(server.url() + "/big");
    request.max_body = 100;
    const HttpResponse response = http_request(request);
    CHECK(response.answered());
    CHECK(response.body == std::string(100, 'x'));
  }

  SUBCASE("a scheme other than http(s) is refused by libcurl, not fetched")
  {
    test::Scratch scratch;
    const auto file = scratch.write("secret.txt", "do not read");
    const HttpResponse response = http_request(get("file://" + file.string()));
    CHECK_FALSE(response.answered());
    CHECK(response.body.empty());
  }
}

TEST_CASE("describe")
{
  CHECK(describe(HttpError::none) == "answered");
  CHECK(describe(HttpError::refused) == "connection refused");
  CHECK(describe(HttpError::timeout) == "timed out");
  CHECK(describe(HttpError::resolve) == "host name not resolved");
  CHECK(describe(HttpError::too_large) == "answer too large");
  CHECK(describe(HttpError::reset) == "connection closed without a complete answer");
}
