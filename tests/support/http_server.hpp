// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A real HTTP/1.1 server on 127.0.0.1 and a free port, for tests: each request is answered by
// a handler, typically with a response captured from the real Cell 0 (see captured()).

#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace cell0ctl::test {

struct Reply
{
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool no_answer = false; // accept and read, never answer (a black hole)
};

class HttpServer
{
public:
  using Handler = std::function<Reply(const std::string& method, const std::string& path)>;

  // Serves `routes` ("GET /health" -> reply); anything else is a 404.
  explicit HttpServer(std::map<std::string, Reply> routes);
  explicit HttpServer(Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  int port() const { return m_port; }
  std::string url() const;
  int requests() const { return m_requests.load(); }

private:
  void serve();
  void answer(int client);

  Handler m_handler;
  int m_listener = -1;
  int m_port = 0;
  std::atomic<bool> m_stop{false};
  std::atomic<int> m_requests{0};
  std::thread m_thread;
  std::vector<std::thread> m_clients;
};

// A port on 127.0.0.1 that nothing listens on (bound, then closed).
int closed_port();

} // namespace cell0ctl::test
