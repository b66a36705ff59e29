// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/http_server.hpp"

#include <fmt/format.h>

#include <array>
#include <stdexcept>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cell0ctl::test {

namespace {

int listen_loopback(int& port)
{
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0
      || ::listen(fd, 64) != 0) {
    ::close(fd);
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  port = ntohs(address.sin_port);
  return fd;
}

std::string_view reason(int status)
{
  switch (status) {
  case 200:
    return "OK";
  case 204:
    return "No Content";
  case 404:
    return "Not Found";
  case 503:
    return "Service Unavailable";
  default:
    return "Status";
  }
}

} // namespace

HttpServer::HttpServer(std::map<std::string, Reply> routes)
    : HttpServer([routes = std::move(routes)](const std::string& method, const std::string& path) {
        const auto it = routes.find(method + " " + path);
        if (it == routes.end()) {
          return Reply{404, "application/json", R"({"detail":"Not Found"})", false};
        }
        return it->second;
      })
{
}

HttpServer::HttpServer(Handler handler) : m_handler(std::move(handler))
{
  m_listener = listen_loopback(m_port);
  m_thread = std::thread([this] { serve(); });
}

HttpServer::~HttpServer()
{
  m_stop = true;
  m_thread.join();
  for (std::thread& client : m_clients) {
    client.join();
  }
  ::close(m_listener);
}

std::string HttpServer::url() const
{
  return fmt::format("http://127.0.0.1:{}", m_port);
}

void HttpServer::serve()
{
  while (!m_stop) {
    pollfd fd{m_listener, POLLIN, 0};
    if (::poll(&fd, 1, 20) <= 0) {
      continue;
    }
    const int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (client >= 0) {
      m_clients.emplace_back([this, client] { answer(client); });
    }
  }
}

void HttpServer::answer(int client)
{
  std::string request;
  std::array<char, 4096> buffer{};
  // One request per connection: read the head, answer, close.
  while (request.find("\r\n\r\n") == std::string::npos && !m_stop) {
    pollfd fd{client, POLLIN, 0};
    if (::poll(&fd, 1, 20) <= 0) {
      continue;
    }
    const ssize_t got = ::read(client, buffer.data(), buffer.size());
    if (got <= 0) {
      ::close(client);
      return;
    }
    request.append(buffer.data(), static_cast<std::size_t>(got));
  }
  ++m_requests;
  const std::size_t first_space = request.find(' ');
  const std::size_t second_space = request.find(' ', first_space + 1);
  const std::string method = request.substr(0, first_space);
  const std::string path = request.substr(first_space + 1, second_space - first_space - 1);
  const Reply reply = m_handler(method, path);
  if (reply.no_answer) {
    while (!m_stop) {
      ::usleep(10'000);
    }
    ::close(client);
    return;
  }
  std::string response = fmt::format("HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\n"
                                     "Connection: close\r\n\r\n{}",
                                     reply.status,
                                     reason(reply.status),
                                     reply.content_type,
                                     reply.body.size(),
                                     reply.body);
  std::size_t sent = 0;
  while (sent < response.size()) {
    const ssize_t n = ::send(client, response.data() + sent, response.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      break;
    }
    sent += static_cast<std::size_t>(n);
  }
  ::close(client);
}

int closed_port()
{
  int port = 0;
  const int fd = listen_loopback(port);
  ::close(fd);
  return port;
}

} // namespace cell0ctl::test
