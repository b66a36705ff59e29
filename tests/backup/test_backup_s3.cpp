// SPDX-License-Identifier: GPL-3.0-or-later
// S3Store against real peers: a scripted HTTP server that records what libcurl sent, AWS's own
// signer (botocore, from the aws CLI) as the judge of signatures, s3rver (npm) as an
// S3-compatible server, and the aws CLI reading and writing the same bucket. .ci/deps installs
// them all; a missing one fails the test and says how to install it.
#include "lib/backup/s3_client.hpp"
#include "lib/backup/s3_store.hpp"
#include "lib/backup/s3_xml.hpp"
#include "lib/core/environ.hpp"
#include "lib/core/error.hpp"
#include "lib/sys/process.hpp"
#include "lib/util/sha256.hpp"
#include "lib/util/strings.hpp"
#include "tests/support/http_server.hpp"
#include "tests/support/scratch.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <csignal>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace cell0ctl;
using namespace cell0ctl::backup;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const fs::path k_source_root = CELL0CTL_SOURCE_ROOT;

// --- A scripted HTTP server -------------------------------------------------------------------

struct Request
{
  std::string method;
  std::string target;                         // path and query, as sent
  std::map<std::string, std::string> headers; // names in lower case
  std::string body;

  std::string header(const std::string& name) const
  {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
  std::string path() const { return target.substr(0, target.find('?')); }
  std::string query() const
  {
    const std::size_t mark = target.find('?');
    return mark == std::string::npos ? std::string() : target.substr(mark + 1);
  }
};

std::string response(int status, std::string_view body, std::string_view headers = "")
{
  return fmt::format("HTTP/1.1 {} Scripted\r\nContent-Length: {}\r\nConnection: close\r\n{}\r\n{}",
                     status,
                     body.size(),
                     headers,
                     body);
}

std::string s3_error(int status, std::string_view code, std::string_view message)
{
  return response(status,
                  fmt::format("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code>"
                              "<Message>{}</Message><RequestId>1</RequestId></Error>",
                              code,
                              message),
                  "Content-Type: application/xml\r\n");
}

// An HTTP/1.1 server on 127.0.0.1 that answers one connection at a time, one request each, with
// the raw bytes its handler returns (which may break off), and records every request.
class RawServer
{
public:
  using Handler = std::function<std::string(const Request&)>;

  explicit RawServer(Handler handler) : m_handler(std::move(handler))
  {
    m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    REQUIRE(::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
    REQUIRE(::listen(m_listener, 16) == 0);
    ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length);
    m_port = ntohs(address.sin_port);
    m_thread = std::thread([this] { serve(); });
  }
  ~RawServer()
  {
    m_stop = true;
    m_thread.join();
    ::close(m_listener);
  }
  RawServer(const RawServer&) = delete;
  RawServer& operator=(const RawServer&) = delete;

  std::string url() const { return fmt::format("http://127.0.0.1:{}", m_port); }
  std::vector<Request> requests() const
  {
    const std::lock_guard lock(m_mutex);
    return m_requests;
  }

private:
  // Reads into `text` until `done()`; false when the client went away or time is up.
  bool read_until(int client, std::string& text, const std::function<bool()>& done)
  {
    std::array<char, 65536> buffer{};
    const auto until = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      pollfd fd{client, POLLIN, 0};
      if (m_stop || std::chrono::steady_clock::now() > until) {
        return false;
      }
      if (::poll(&fd, 1, 20) <= 0) {
        continue;
      }
      const ssize_t got = ::read(client, buffer.data(), buffer.size());
      if (got <= 0) {
        return false;
      }
      text.append(buffer.data(), static_cast<std::size_t>(got));
    }
    return true;
  }

  static void send_all(int client, std::string_view data)
  {
    while (!data.empty()) {
      const ssize_t sent = ::send(client, data.data(), data.size(), MSG_NOSIGNAL);
      if (sent <= 0) {
        return;
      }
      data.remove_prefix(static_cast<std::size_t>(sent));
    }
  }

  void answer(int client)
  {
    std::string text;
    if (!read_until(client, text, [&] { return text.find("\r\n\r\n") != std::string::npos; })) {
      return;
    }
    const std::size_t head_end = text.find("\r\n\r\n");
    Request request;
    std::istringstream head(text.substr(0, head_end));
    std::string line;
    std::getline(head, line);
    std::istringstream(line) >> request.method >> request.target;
    while (std::getline(head, line)) {
      const std::size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
        return static_cast<char>(std::tolower(c));
      });
      std::string value = line.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      value.erase(value.find_last_not_of("\r ") + 1);
      request.headers[name] = value;
    }
    if (request.header("expect") == "100-continue") {
      send_all(client, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    const std::string length = request.header("content-length");
    const std::size_t body_size = length.empty() ? 0 : std::stoul(length);
    text.erase(0, head_end + 4);
    if (!read_until(client, text, [&] { return text.size() >= body_size; })) {
      return;
    }
    request.body = text;
    const std::string reply = m_handler(request);
    {
      const std::lock_guard lock(m_mutex);
      m_requests.push_back(std::move(request));
    }
    send_all(client, reply);
  }

  void serve()
  {
    while (!m_stop) {
      pollfd fd{m_listener, POLLIN, 0};
      if (::poll(&fd, 1, 20) <= 0) {
        continue;
      }
      const int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) {
        answer(client);
        ::close(client);
      }
    }
  }

  Handler m_handler;
  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  mutable std::mutex m_mutex;
  std::vector<Request> m_requests;
  std::thread m_thread;
};

S3Options scripted_options(const RawServer& server)
{
  S3Options options;
  options.endpoint = server.url();
  options.bucket = "bkt";
  options.prefix = "p";
  options.access_key_id = "AKIDSCRIPTED";
  options.secret_access_key = "scripted-secret-key";
  options.retry_delay_ms = 1;
  return options;
}

// --- Peers: s3rver and the aws CLI ------------------------------------------------------------

constexpr std::string_view k_bucket = "cell0ctl";

// s3rver on 127.0.0.1 and a port of its choosing, with bucket k_bucket, for the whole run: one
// start (about a second of node) serves every test. It dies with this process (PR_SET_PDEATHSIG).
class S3rver
{
public:
  S3rver()
  {
    const fs::path script = k_source_root / "tests/support/s3/node_modules/s3rver/bin/s3rver.js";
    const auto node = find_in_path("node", Environ::from_process());
    if (!node || !fs::exists(script)) {
      throw std::runtime_error(
          "node or s3rver is missing: run `bash .ci/deps` (apt nodejs npm, then "
          "npm ci in tests/support/s3)");
    }
    std::array<int, 2> out{-1, -1};
    if (::pipe2(out.data(), O_CLOEXEC) != 0) {
      throw std::runtime_error("pipe2 failed");
    }
    const std::string directory = m_data.path().string();
    // s3rver's continuation tokens are DES-encrypted, which OpenSSL 3 keeps in its legacy provider.
    const std::vector<std::string> argv = {node->string(),
                                           "--openssl-legacy-provider",
                                           script.string(),
                                           "--directory",
                                           directory,
                                           "--address",
                                           "127.0.0.1",
                                           "--port",
                                           "0",
                                           "--silent",
                                           "--configure-bucket",
                                           std::string(k_bucket)};
    std::vector<char*> args;
    for (const std::string& arg : argv) {
      args.push_back(const_cast<char*>(arg.c_str()));
    }
    args.push_back(nullptr);
    m_pid = ::fork();
    if (m_pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(out[1], STDOUT_FILENO);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
    ::close(out[1]);
    m_port = read_port(out[0]);
    ::close(out[0]);
    if (m_port == 0) {
      stop();
      throw std::runtime_error("s3rver did not say which port it listens on");
    }
  }
  ~S3rver() { stop(); }
  S3rver(const S3rver&) = delete;
  S3rver& operator=(const S3rver&) = delete;

  std::string url() const { return fmt::format("http://127.0.0.1:{}", m_port); }

private:
  // s3rver prints "S3rver listening on 127.0.0.1:PORT" once it accepts connections.
  static int read_port(int fd)
  {
    std::string text;
    const std::string marker = "listening on 127.0.0.1:";
    const auto until = std::chrono::steady_clock::now() + 60s;
    std::array<char, 512> buffer{};
    while (std::chrono::steady_clock::now() < until) {
      const std::size_t at = text.find(marker);
      if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
        return std::stoi(text.substr(at + marker.size()));
      }
      pollfd poll_fd{fd, POLLIN, 0};
      if (::poll(&poll_fd, 1, 100) <= 0) {
        continue;
      }
      const ssize_t got = ::read(fd, buffer.data(), buffer.size());
      if (got <= 0) {
        break;
      }
      text.append(buffer.data(), static_cast<std::size_t>(got));
    }
    return 0;
  }

  void stop()
  {
    if (m_pid > 0) {
      ::kill(m_pid, SIGTERM);
      ::waitpid(m_pid, nullptr, 0);
      m_pid = -1;
    }
  }

  test::Scratch m_data;
  pid_t m_pid = -1;
  int m_port = 0;
};

const S3rver& s3rver()
{
  static const S3rver server;
  return server;
}

// Options for a fresh prefix of the s3rver bucket, so that tests do not see each other's objects.
S3Options s3rver_options(std::string_view prefix)
{
  S3Options options;
  options.endpoint = s3rver().url();
  options.bucket = std::string(k_bucket);
  options.prefix = fmt::format("{}-{}", prefix, ::getpid());
  options.access_key_id = "S3RVER"; // the account s3rver knows
  options.secret_access_key = "S3RVER";
  options.part_size = 5u << 20u; // S3's smallest
  options.retry_delay_ms = 10;
  return options;
}

const fs::path k_aws = "/usr/bin/aws"; // not a pyenv shim of the same name

// Runs the aws CLI against s3rver, with its credentials and no configuration of this host.
ProgramResult aws(const std::vector<std::string>& arguments, const test::Scratch& home)
{
  REQUIRE_MESSAGE(fs::exists(k_aws), "the aws CLI is missing: run `bash .ci/deps` (apt awscli)");
  std::vector<std::string> argv = {k_aws.string(), "--endpoint-url", s3rver().url()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  const Environ environ({{"PATH", "/usr/bin:/bin"},
                         {"HOME", home.path().string()},
                         {"AWS_ACCESS_KEY_ID", "S3RVER"},
                         {"AWS_SECRET_ACCESS_KEY", "S3RVER"},
                         {"AWS_DEFAULT_REGION", "us-east-1"},
                         {"AWS_PAGER", ""}});
  ProgramResult result = run_program(argv, environ, Deadline::after(120s));
  INFO("aws stderr: ", result.err);
  REQUIRE(result.exit_code == 0);
  return result;
}

std::string random_bytes(std::size_t size, unsigned seed)
{
  std::mt19937_64 generator(seed);
  std::string data(size, '\0');
  for (char& c : data) {
    c = static_cast<char>(generator());
  }
  return data;
}

std::vector<std::string> names(const std::vector<ObjectInfo>& objects)
{
  std::vector<std::string> out;
  for (const ObjectInfo& object : objects) {
    out.push_back(object.name);
  }
  return out;
}

// Runs `action`, which must throw an Error; returns it.
template <typename Action> Error error_of(Action&& action)
{
  try {
    action();
  } catch (const Error& e) {
    return e;
  }
  FAIL("no Error thrown");
  return Error(Errc::unknown, "");
}

} // namespace

TEST_SUITE_BEGIN("s3");

TEST_CASE("s3 xml")
{
  SUBCASE("elements are found by exact name, in order, with entities decoded")
  {
    const std::string xml =
        R"(<?xml version="1.0"?><R xmlns="x"><KeyCount>2</KeyCount><Contents><Key>a&amp;b &lt;c&gt;</Key>)"
        R"(</Contents><Contents><Key>&#233;&#x4E2D;&quot;&apos;</Key></Contents><Empty/></R>)";
    const auto contents = s3::xml_elements(xml, "Contents");
    REQUIRE(contents.size() == 2);
    CHECK(s3::xml_text(contents[0], "Key") == "a&b <c>");
    CHECK(s3::xml_text(contents[1], "Key") == "\u00e9\u4e2d\"'");
    CHECK(s3::xml_text(xml, "KeyCount") == "2");
    CHECK(s3::xml_text(xml, "Empty") == "");
    CHECK_FALSE(s3::xml_text(xml, "Missing").has_value());
  }

  SUBCASE("unknown or malformed entities are kept as they are")
  {
    CHECK(s3::xml_decode("a & b &nope; &#xZZ; &#0; &") == "a & b &nope; &#xZZ; &#0; &");
  }

  SUBCASE("escaping and decoding are inverse")
  {
    CHECK(util::xml_escape("\"e\"&<x>") == "&quot;e&quot;&amp;&lt;x&gt;");
    CHECK(s3::xml_decode(util::xml_escape("a&b<c>&amp;\"'")) == "a&b<c>&amp;\"'");
  }
}

TEST_CASE("s3 request URLs")
{
  SUBCASE("keys are encoded as AWS's UriEncode, keeping '/' in paths only")
  {
    CHECK(s3::uri_encode("a-z_A.Z~09/x y+é", true) == "a-z_A.Z~09/x%20y%2B%C3%A9");
    CHECK(s3::uri_encode("a/b=c&d", false) == "a%2Fb%3Dc%26d");
  }

  SUBCASE("queries are sorted by encoded name, with 'name=' for empty values")
  {
    CHECK(s3::canonical_query({{"uploads", ""}}) == "uploads=");
    CHECK(s3::canonical_query(
              {{"prefix", "a b/"}, {"list-type", "2"}, {"continuation-token", "x+y=="}})
          == "continuation-token=x%2By%3D%3D&list-type=2&prefix=a%20b%2F");
  }

  SUBCASE("path-style and virtual-hosted URLs")
  {
    S3Options options;
    options.endpoint = "http://127.0.0.1:9000";
    options.bucket = "bkt";
    CHECK(s3::request_url(options, "p/a b.txt", {}) == "http://127.0.0.1:9000/bkt/p/a%20b.txt");
    CHECK(s3::request_url(options, "", {{"list-type", "2"}})
          == "http://127.0.0.1:9000/bkt?list-type=2");
    options.endpoint = "https://s3.amazonaws.com";
    options.bucket = "examplebucket";
    options.path_style = false;
    CHECK(s3::request_url(options, "test.txt", {})
          == "https://examplebucket.s3.amazonaws.com/test.txt");
    CHECK(s3::request_url(options, "", {{"uploads", ""}})
          == "https://examplebucket.s3.amazonaws.com/?uploads=");
  }
}

TEST_CASE("s3 signing reproduces AWS's documented example")
{
  // "Signature Calculations for the Authorization Header: Transferring Payload in a Single
  // Chunk", Example: GET Object, in the Amazon S3 API Reference.
  RawServer server([](const Request&) { return response(206, "0123456789"); });
  S3Options options;
  options.access_key_id = "AKIAIOSFODNN7EXAMPLE";
  options.secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
  options.region = "us-east-1";
  s3::Client client(options);
  s3::Call call;
  call.url = server.url() + "/test.txt";
  // libcurl signs a Host header given to it as it would its own, and takes the request time from
  // an x-amz-date header when there is one: the example's host and date, sent to 127.0.0.1.
  call.headers = {
      "Host: examplebucket.s3.amazonaws.com", "Range: bytes=0-9", "x-amz-date: 20130524T000000Z"};
  const s3::Reply reply = client.send(call, "test");
  CHECK(reply.status == 206);
  CHECK(reply.body == "0123456789");

  const std::vector<Request> requests = server.requests();
  REQUIRE(requests.size() == 1);
  const Request& sent = requests[0];
  CHECK(sent.target == "/test.txt");
  CHECK(sent.header("x-amz-date") == "20130524T000000Z");
  CHECK(sent.header("x-amz-content-sha256")
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string documented =
      "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,"
      "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
      "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41";
  // libcurl separates the three parts with ", " where the example has ","; S3 takes both.
  std::string authorization = sent.header("authorization");
  CHECK(authorization.find(", SignedHeaders=") != std::string::npos);
  for (std::size_t at; (at = authorization.find(", ")) != std::string::npos;) {
    authorization.erase(at + 1, 1);
  }
  CHECK(authorization == documented);
}

TEST_CASE("s3 signatures of every kind of request match AWS's signer")
{
  const std::string upload_id = "up/1+x=";
  RawServer server([&](const Request& request) -> std::string {
    const std::string query = request.query();
    if (request.method == "POST" && query == "uploads=") {
      return response(200,
                      "<InitiateMultipartUploadResult><UploadId>up/1+x=</UploadId>"
                      "</InitiateMultipartUploadResult>");
    }
    if (request.method == "PUT") {
      return response(200, "", "ETag: \"" + util::sha256_hex(request.body).substr(0, 8) + "\"\r\n");
    }
    if (request.method == "POST") {
      return response(200, "<CompleteMultipartUploadResult></CompleteMultipartUploadResult>");
    }
    if (request.method == "DELETE") {
      return response(204, "");
    }
    if (query.find("list-type=2") != std::string::npos) {
      const bool first = query.find("continuation-token") == std::string::npos;
      return response(200,
                      fmt::format("<ListBucketResult><IsTruncated>{}</IsTruncated>"
                                  "<NextContinuationToken>t/1+2==</NextContinuationToken>"
                                  "<Contents><Key>p/d i/{}</Key><Size>1</Size></Contents>"
                                  "</ListBucketResult>",
                                  first ? "true" : "false",
                                  first ? "b" : "a"));
    }
    return response(200, "hello");
  });
  S3Options options = scripted_options(server);
  options.part_size = 16;
  options.session_token = "session/token+=";
  options.region = "eu-west-3";
  S3Store store(options);
  test::Scratch scratch;
  const std::string name = "d i/ü+~a&b=.txt";
  store.put(name, "small body");
  store.put_file("big", scratch.write("big", random_bytes(40, 1)));
  CHECK(names(store.list("d i/")) == std::vector<std::string>{"d i/a", "d i/b"});
  CHECK(store.get_small(name) == "hello");
  store.remove(name);

  const std::vector<Request> requests = server.requests();
  // PUT, POST uploads, 3 parts, POST complete, 2 list pages, GET, DELETE.
  REQUIRE(requests.size() == 10);
  CHECK(requests[0].target == "/bkt/p/d%20i/%C3%BC%2B~a%26b%3D.txt");
  CHECK(requests[1].target == "/bkt/p/big?uploads=");
  CHECK(requests[2].target == "/bkt/p/big?partNumber=1&uploadId=up%2F1%2Bx%3D");
  CHECK(requests[4].body.size() == 8);
  CHECK(requests[7].target
        == "/bkt?continuation-token=t%2F1%2B2%3D%3D&list-type=2&max-keys=1000"
           "&prefix=p%2Fd%20i%2F");
  nlohmann::json input = nlohmann::json::array();
  for (const Request& request : requests) {
    const std::string authorization = request.header("authorization");
    const std::size_t begin = authorization.find("SignedHeaders=") + 14;
    std::istringstream signed_headers(
        authorization.substr(begin, authorization.find(',', begin) - begin));
    nlohmann::json headers = nlohmann::json::object();
    // botocore adds these three itself, from the body, the time and the token.
    for (std::string header; std::getline(signed_headers, header, ';');) {
      if (header != "x-amz-content-sha256" && header != "x-amz-date"
          && header != "x-amz-security-token") {
        headers[header] = request.header(header);
      }
    }
    CHECK(headers.contains("host"));
    std::string body_hex;
    for (const unsigned char c : request.body) {
      body_hex += fmt::format("{:02x}", c);
    }
    input.push_back({{"method", request.method},
                     {"path", request.path()},
                     {"query", request.query()},
                     {"headers", headers},
                     {"body_hex", body_hex},
                     {"timestamp", request.header("x-amz-date")},
                     {"access_key", options.access_key_id},
                     {"secret_key", options.secret_access_key},
                     {"token", options.session_token},
                     {"region", options.region}});
  }
  const fs::path input_file = scratch.write("requests.json", input.dump());
  const ProgramResult oracle =
      run_program({"/usr/bin/python3",
                   (k_source_root / "tests/support/s3/sigv4_oracle.py").string(),
                   input_file.string()},
                  Environ::from_process(),
                  Deadline::after(60s));
  INFO("oracle stderr: ", oracle.err);
  REQUIRE_MESSAGE(oracle.exit_code == 0,
                  "the oracle needs the aws CLI's botocore: run `bash .ci/deps`");
  std::istringstream expected(oracle.out);
  for (const Request& request : requests) {
    std::string line;
    std::getline(expected, line);
    INFO(request.method, " ", request.target);
    CHECK(request.header("authorization") == line);
    CHECK(request.header("x-amz-security-token") == options.session_token);
  }
}

TEST_CASE("s3 retries, resumes and reports errors")
{
  std::atomic<int> count{0};

  SUBCASE("5xx answers and RequestTimeout are retried, then the success is returned")
  {
    RawServer server([&](const Request&) {
      switch (++count) {
      case 1:
        return s3_error(400, "RequestTimeout", "Your socket connection was not read from.");
      case 2:
        return s3_error(503, "SlowDown", "Please reduce your request rate.");
      default:
        return response(200, "data");
      }
    });
    S3Store store(scripted_options(server));
    CHECK(store.get_small("x") == "data");
    CHECK(server.requests().size() == 3);
  }

  SUBCASE("retries are bounded, and the last error is reported with S3's code and message")
  {
    RawServer server([&](const Request&) {
      return s3_error(500, "InternalError", "We encountered an internal error.");
    });
    S3Store store(scripted_options(server));
    const Error e = error_of([&] { store.put("x", "data"); });
    CHECK(e.code() == Errc::failed);
    CHECK(std::string(e.what())
          == "cannot write s3://bkt/p/x: InternalError: We encountered an internal error.");
    CHECK(e.hint() == "the S3 service is failing or busy: try again later");
    CHECK(server.requests().size() == 3);
  }

  SUBCASE("a 4xx is not retried, and no message shows the secret")
  {
    RawServer server([&](const Request&) {
      return s3_error(
          403, "SignatureDoesNotMatch", "The request signature we calculated does not match.");
    });
    const S3Options options = scripted_options(server);
    S3Store store(options);
    const Error e = error_of([&] { store.get("snapshots/a.json", [](std::string_view) {}); });
    CHECK(std::string(e.what())
          == "cannot read s3://bkt/p/snapshots/a.json: SignatureDoesNotMatch: The request "
             "signature we "
             "calculated does not match.");
    CHECK(e.hint().find("AWS_SECRET_ACCESS_KEY") != std::string::npos);
    CHECK(std::string(e.what()).find(options.secret_access_key) == std::string::npos);
    CHECK(e.hint().find(options.secret_access_key) == std::string::npos);
    CHECK(store.describe() == "s3://bkt/p");
    CHECK(server.requests().size() == 1);
  }

  SUBCASE("a missing object is nothing to get_small and remove, an error to get")
  {
    RawServer server([&](const Request&) {
      return s3_error(404, "NoSuchKey", "The specified key does not exist.");
    });
    S3Store store(scripted_options(server));
    CHECK_FALSE(store.get_small("x").has_value());
    store.remove("x");
    const Error e = error_of([&] { store.get("x", [](std::string_view) {}); });
    CHECK(std::string(e.what())
          == "cannot read s3://bkt/p/x: NoSuchKey: The specified key does not exist.");
    CHECK(server.requests().size() == 3);
  }

  SUBCASE("a missing bucket is an error even to get_small")
  {
    RawServer server([&](const Request&) {
      return s3_error(404, "NoSuchBucket", "The specified bucket does not exist");
    });
    S3Store store(scripted_options(server));
    const Error e = error_of([&] { store.get_small("x"); });
    CHECK(std::string(e.what())
          == "cannot read s3://bkt/p/x: NoSuchBucket: The specified bucket does not exist");
    CHECK(e.hint() == "check the bucket name and the endpoint, or create the bucket");
  }

  SUBCASE("a body that breaks off is resumed from where it stopped, of the same object")
  {
    RawServer server([&](const Request&) {
      // The whole answer promises 10 bytes and sends 4, then the connection closes.
      const std::string whole = response(200, "0123456789", "ETag: \"v1\"\r\n");
      return ++count == 1
                 ? whole.substr(0, whole.size() - 6)
                 : response(206, "456789", "ETag: \"v1\"\r\nContent-Range: bytes 4-9/10\r\n");
    });
    S3Store store(scripted_options(server));
    std::string received;
    store.get("x", [&](std::string_view data) { received += data; });
    CHECK(received == "0123456789");
    const std::vector<Request> requests = server.requests();
    REQUIRE(requests.size() == 2);
    CHECK(requests[0].header("range").empty());
    CHECK(requests[1].header("range") == "bytes=4-");
    CHECK(requests[1].header("if-match") == "\"v1\"");
  }

  SUBCASE("a failed part aborts the multipart upload")
  {
    RawServer server([&](const Request& request) {
      if (request.query() == "uploads=") {
        return response(200,
                        "<InitiateMultipartUploadResult><UploadId>u1</UploadId></"
                        "InitiateMultipartUploadResult>");
      }
      if (request.query().starts_with("partNumber=2")) {
        return s3_error(
            400, "InvalidArgument", "Part number must be an integer between 1 and 10000.");
      }
      return response(request.method == "DELETE" ? 204 : 200, "", "ETag: \"e\"\r\n");
    });
    S3Options options = scripted_options(server);
    options.part_size = 4;
    S3Store store(options);
    test::Scratch scratch;
    const Error e = error_of([&] { store.put_file("big", scratch.write("big", "0123456789")); });
    CHECK(
        std::string(e.what()).starts_with("cannot write s3://bkt/p/big (part 2): InvalidArgument"));
    const std::vector<Request> requests = server.requests();
    REQUIRE(requests.size() == 4);
    CHECK(requests[3].method == "DELETE");
    CHECK(requests[3].target == "/bkt/p/big?uploadId=u1");
  }

  SUBCASE("an error inside a 200 answer to CompleteMultipartUpload fails the upload")
  {
    RawServer server([&](const Request& request) {
      if (request.query() == "uploads=") {
        return response(200,
                        "<InitiateMultipartUploadResult><UploadId>u1</UploadId></"
                        "InitiateMultipartUploadResult>");
      }
      if (request.method == "POST") {
        return response(200,
                        "<Error><Code>InternalError</Code><Message>We encountered an internal "
                        "error.</Message></Error>");
      }
      return response(request.method == "DELETE" ? 204 : 200, "", "ETag: \"e\"\r\n");
    });
    S3Options options = scripted_options(server);
    options.part_size = 8;
    S3Store store(options);
    test::Scratch scratch;
    const Error e = error_of([&] { store.put_file("big", scratch.write("big", "0123456789")); });
    CHECK(std::string(e.what())
          == "cannot write s3://bkt/p/big: InternalError: We encountered an internal error.");
    CHECK(server.requests().back().method == "DELETE");
  }

  SUBCASE("a closed port fails after the bounded retries, quickly, naming the endpoint")
  {
    const std::string url = fmt::format("http://127.0.0.1:{}", test::closed_port());
    S3Options options;
    options.endpoint = url;
    options.bucket = "bkt";
    options.access_key_id = "AKID";
    options.secret_access_key = "closed-port-secret";
    S3Store store(options);
    const auto start = std::chrono::steady_clock::now();
    const Error e = error_of([&] { store.put("x", "data"); });
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(std::string(e.what()).starts_with("cannot write s3://bkt/x: "));
    CHECK(std::string(e.what()).ends_with("(3 attempts)"));
    CHECK(e.hint() == fmt::format("check that the endpoint {} is right and reachable", url));
    CHECK(std::string(e.what()).find("closed-port-secret") == std::string::npos);
  }
}

TEST_CASE("s3 options")
{
  test::Scratch home;
  const std::string file_secret = "file-secret-KEY";
  home.write(".aws/credentials",
             "# comment\n[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = "
                 + file_secret
                 + "\n\n[work]\naws_access_key_id=WORKKEY\naws_secret_access_key = work-secret\n"
                   "aws_session_token = work-token\n[broken]\naws_access_key_id = X\n");
  std::map<std::string, std::string, std::less<>> variables = {{"HOME", home.path().string()}};
  const auto options = [&](const std::string& url = "s3://bkt/a/b/",
                           const std::string& endpoint = "",
                           const std::string& region = "") {
    return s3_options(url, endpoint, region, Environ(variables));
  };
  const auto usage_error = [&](const std::string& url) {
    const Error e = error_of([&] { options(url); });
    CHECK(e.code() == Errc::usage);
    return std::string(e.what());
  };

  SUBCASE("the URL gives the bucket and the prefix; AWS is the default endpoint")
  {
    const S3Options o = options();
    CHECK(o.bucket == "bkt");
    CHECK(o.prefix == "a/b");
    CHECK(o.region == "us-east-1");
    CHECK(o.endpoint == "https://s3.us-east-1.amazonaws.com");
    CHECK_FALSE(o.path_style);
    CHECK(options("s3://my.bkt").path_style);
    CHECK(options("s3://my.bkt").prefix.empty());
    CHECK(S3Store(o).describe() == "s3://bkt/a/b");
  }

  SUBCASE("explicit endpoint and region win over the environment, which wins over defaults")
  {
    variables["AWS_DEFAULT_REGION"] = "eu-west-1";
    CHECK(options().endpoint == "https://s3.eu-west-1.amazonaws.com");
    variables["AWS_REGION"] = "eu-west-2";
    CHECK(options().region == "eu-west-2");
    CHECK(options("s3://bkt", "", "ca-central-1").region == "ca-central-1");
    variables["AWS_ENDPOINT_URL"] = "http://any:1/";
    CHECK(options().endpoint == "http://any:1");
    CHECK(options().path_style);
    variables["AWS_ENDPOINT_URL_S3"] = "http://s3only:2";
    CHECK(options().endpoint == "http://s3only:2");
    CHECK(options("s3://bkt", "https://minio.lan:9000").endpoint == "https://minio.lan:9000");
  }

  SUBCASE("credentials: environment, else the profile of the credentials file")
  {
    CHECK(options().access_key_id == "FILEKEY");
    CHECK(options().secret_access_key == file_secret);
    CHECK(options().session_token.empty());
    variables["AWS_PROFILE"] = "work";
    CHECK(options().access_key_id == "WORKKEY");
    CHECK(options().session_token == "work-token");
    variables["AWS_ACCESS_KEY_ID"] = "ENVKEY";
    variables["AWS_SECRET_ACCESS_KEY"] = "env-secret";
    variables["AWS_SESSION_TOKEN"] = "env-token";
    CHECK(options().access_key_id == "ENVKEY");
    CHECK(options().secret_access_key == "env-secret");
    CHECK(options().session_token == "env-token");
  }

  SUBCASE("AWS_SHARED_CREDENTIALS_FILE names another file, which must exist")
  {
    variables["AWS_SHARED_CREDENTIALS_FILE"] =
        home.write("elsewhere", "[default]\naws_access_key_id=OTHER\naws_secret_access_key=s\n")
            .string();
    CHECK(options().access_key_id == "OTHER");
    variables["AWS_SHARED_CREDENTIALS_FILE"] = (home.path() / "missing").string();
    const Error e = error_of([&] { options(); });
    CHECK(std::string(e.what())
          == "cannot read the AWS credentials file " + (home.path() / "missing").string());
  }

  SUBCASE("missing or partial credentials are usage errors that say what to set, showing no secret")
  {
    variables["AWS_PROFILE"] = "nosuch";
    const Error missing_profile = error_of([&] { options(); });
    CHECK(std::string(missing_profile.what())
          == "no profile [nosuch] in " + (home.path() / ".aws/credentials").string());
    variables["AWS_PROFILE"] = "broken";
    CHECK(
        std::string(error_of([&] { options(); }).what()).ends_with("has no aws_secret_access_key"));
    variables["AWS_ACCESS_KEY_ID"] = "ENVKEY";
    const Error half = error_of([&] { options(); });
    CHECK(std::string(half.what()) == "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
    variables.erase("AWS_ACCESS_KEY_ID");
    variables.erase("AWS_PROFILE");
    variables["HOME"] = (home.path() / "empty").string();
    const Error none = error_of([&] { options(); });
    CHECK(none.code() == Errc::usage);
    CHECK(std::string(none.what()) == "no S3 credentials for s3://bkt/a/b/");
    CHECK(none.hint()
          == "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put aws_access_key_id and "
             "aws_secret_access_key in the profile [default] of "
                 + (home.path() / "empty/.aws/credentials").string());
    for (const Error& e : {missing_profile, half, none}) {
      CHECK(std::string(e.what()).find(file_secret) == std::string::npos);
      CHECK(e.hint().find(file_secret) == std::string::npos);
    }
  }

  SUBCASE("invalid URLs, regions and endpoints are usage errors")
  {
    CHECK(usage_error("http://bkt")
          == "invalid S3 repository URL 'http://bkt': it does not start with s3://");
    CHECK(usage_error("s3://") == "invalid S3 bucket name '' in 's3://'");
    CHECK(usage_error("s3://Bad_Bucket/x")
          == "invalid S3 bucket name 'Bad_Bucket' in 's3://Bad_Bucket/x'");
    CHECK(usage_error("s3://bkt/a//b")
          == "invalid prefix 'a//b' in 's3://bkt/a//b': it has an empty, '.' or '..' part");
    CHECK(usage_error("s3://bkt/../x").starts_with("invalid prefix '../x'"));
    const Error region = error_of([&] { options("s3://bkt", "", "us-east-1:x"); });
    CHECK(std::string(region.what()) == "invalid S3 region 'us-east-1:x' from the region option");
    const Error scheme = error_of([&] { options("s3://bkt", "ftp://host"); });
    CHECK(std::string(scheme.what())
          == "invalid S3 endpoint from the endpoint option: it does not start with http:// or "
             "https://");
    variables["AWS_ENDPOINT_URL"] = "https://AKID:" + file_secret + "@host";
    const Error userinfo = error_of([&] { options(); });
    CHECK(std::string(userinfo.what())
              .starts_with("invalid S3 endpoint from AWS_ENDPOINT_URL: it has a user name"));
    CHECK(std::string(userinfo.what()).find(file_secret) == std::string::npos);
  }
}

TEST_CASE("s3 round trip against s3rver")
{
  test::Scratch scratch;
  const S3Options options = s3rver_options("roundtrip");
  S3Store store(options);

  SUBCASE("small objects are written, read, listed and removed")
  {
    store.put("manifests/a&b <c>.json", "{\"x\": 1}");
    CHECK(store.get_small("manifests/a&b <c>.json") == "{\"x\": 1}");
    store.remove("manifests/a&b <c>.json");
    CHECK_FALSE(store.get_small("manifests/a&b <c>.json").has_value());
    store.remove("manifests/a&b <c>.json");
  }

  SUBCASE("a file larger than a part goes up in parts and comes back identical")
  {
    const std::string data = random_bytes((12u << 20u) + 12345, 2);
    const fs::path source = scratch.write("source.bin", data);
    store.put_file("snapshots/big.tar.zst", source);
    store.get_file("snapshots/big.tar.zst", scratch.path() / "back.bin");
    CHECK(util::file_sha256(scratch.path() / "back.bin") == util::sha256_hex(data));
    CHECK_FALSE(fs::exists(scratch.path() / "back.bin.partial"));
    util::Sha256 streamed;
    std::size_t pieces = 0;
    store.get("snapshots/big.tar.zst", [&](std::string_view piece) {
      streamed.update(piece);
      ++pieces;
    });
    CHECK(streamed.hex() == util::sha256_hex(data));
    CHECK(pieces > 1);
    const std::vector<ObjectInfo> listed = store.list("snapshots/");
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].size == data.size());
    store.remove("snapshots/big.tar.zst");
  }

  SUBCASE("listings go over every page, with keys decoded and relative to the prefix")
  {
    S3Options paged = options;
    paged.list_page_size = 2;
    S3Store small_pages(paged);
    const std::vector<std::string> keys = {
        "list/a&b <c>.txt", "list/sp ace+plus", "list/z", "list/ü.txt", "list/0"};
    for (const std::string& key : keys) {
      small_pages.put(key, key);
    }
    small_pages.put("other/x", "x");
    const std::vector<ObjectInfo> listed = small_pages.list("list/");
    CHECK(names(listed)
          == std::vector<std::string>{
              "list/0", "list/a&b <c>.txt", "list/sp ace+plus", "list/z", "list/ü.txt"});
    CHECK(listed[1].size == keys[0].size());
    CHECK(small_pages.list("").size() == keys.size() + 1);
    CHECK(small_pages.list("nothing/").empty());
  }

  SUBCASE("a missing object is an error that names it")
  {
    const Error e = error_of([&] { store.get_file("missing.json", scratch.path() / "out"); });
    CHECK(e.code() == Errc::failed);
    CHECK(std::string(e.what())
          == fmt::format(
              "cannot read s3://{}/{}/missing.json: NoSuchKey: The specified key does not exist.",
              k_bucket,
              options.prefix));
    CHECK_FALSE(fs::exists(scratch.path() / "out"));
    CHECK_FALSE(fs::exists(scratch.path() / "out.partial"));
  }

  SUBCASE("a missing bucket is an error with S3's code and message")
  {
    S3Options wrong = options;
    wrong.bucket = "no-such-bucket";
    S3Store missing(wrong);
    const Error e = error_of([&] { missing.put("x", "data"); });
    CHECK(std::string(e.what())
          == fmt::format("cannot write s3://no-such-bucket/{}/x: NoSuchBucket: The specified "
                         "bucket does not exist",
                         options.prefix));
    CHECK(e.hint() == "check the bucket name and the endpoint, or create the bucket");
  }
}

TEST_CASE("s3 objects are shared with the aws CLI")
{
  test::Scratch scratch;
  const S3Options options = s3rver_options("interop");
  S3Store store(options);
  const std::string base = fmt::format("s3://{}/{}/", k_bucket, options.prefix);

  SUBCASE("the aws CLI reads what S3Store wrote, in one part or many")
  {
    store.put("small.txt", "small & plain\n");
    CHECK(aws({"s3", "cp", base + "small.txt", "-"}, scratch).out == "small & plain\n");
    const std::string data = random_bytes((11u << 20u) + 7, 3);
    store.put_file("big.bin", scratch.write("big.bin", data));
    aws({"s3", "cp", base + "big.bin", (scratch.path() / "by-aws.bin").string()}, scratch);
    CHECK(util::file_sha256(scratch.path() / "by-aws.bin") == util::sha256_hex(data));
  }

  SUBCASE("S3Store reads what the aws CLI wrote, in one part or many")
  {
    const std::string data =
        random_bytes(9u << 20u, 4); // above the aws CLI's 8 MiB multipart threshold
    aws({"s3", "cp", scratch.write("up.bin", data).string(), base + "from-aws/up.bin"}, scratch);
    aws({"s3", "cp", scratch.write("note", "a note").string(), base + "from-aws/note"}, scratch);
    store.get_file("from-aws/up.bin", scratch.path() / "back.bin");
    CHECK(util::file_sha256(scratch.path() / "back.bin") == util::sha256_hex(data));
    CHECK(store.get_small("from-aws/note") == "a note");
    const std::vector<ObjectInfo> listed = store.list("from-aws/");
    CHECK(names(listed) == std::vector<std::string>{"from-aws/note", "from-aws/up.bin"});
    CHECK(listed[1].size == data.size());
  }
}

TEST_SUITE_END();
