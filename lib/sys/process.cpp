// SPDX-License-Identifier: GPL-3.0-or-later
#include "lib/sys/process.hpp"

#include "lib/core/environ.hpp"
#include "lib/util/strings.hpp"

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace cell0ctl {

namespace {

constexpr std::size_t k_max_output = 1u << 20u;

struct Pipe
{
  int read = -1;
  int write = -1;

  Pipe()
  {
    std::array<int, 2> fds{-1, -1};
    if (::pipe2(fds.data(), O_CLOEXEC) == 0) {
      read = fds[0];
      write = fds[1];
    }
  }
  ~Pipe()
  {
    close_read();
    close_write();
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;

  void close_read()
  {
    if (read >= 0) {
      ::close(read);
      read = -1;
    }
  }
  void close_write()
  {
    if (write >= 0) {
      ::close(write);
      write = -1;
    }
  }
};

// Appends what `pipe` has now to `text` (at most k_max_output in all); closes it at its end.
void read_some(Pipe& pipe, std::string& text)
{
  std::array<char, 8192> buffer{};
  const ssize_t got = ::read(pipe.read, buffer.data(), buffer.size());
  if (got <= 0) {
    pipe.close_read();
  } else if (text.size() < k_max_output) {
    text.append(buffer.data(), std::min(static_cast<std::size_t>(got), k_max_output - text.size()));
  }
}

// Reads both pipes until the program has exited and they are drained, or `deadline` passes;
// returns false on the deadline. A background child that inherited the pipes does not hold
// the caller: once the program itself has exited, what is buffered is read and that is all.
bool drain(pid_t pid, Pipe& out_pipe, Pipe& err_pipe, std::string& out, std::string& err,
           int& status, Deadline deadline)
{
  bool exited = false;
  while (true) {
    if (!exited && ::waitpid(pid, &status, WNOHANG) == pid) {
      exited = true;
    }
    std::array<pollfd, 2> fds{{{out_pipe.read, POLLIN, 0}, {err_pipe.read, POLLIN, 0}}};
    if (out_pipe.read < 0 && err_pipe.read < 0) {
      if (exited) {
        return true;
      }
    }
    const auto left = deadline.remaining();
    if (left.count() <= 0) {
      return false;
    }
    // Short slices while the program runs, so that its exit is noticed; none after it.
    const int wait = exited ? 0 : static_cast<int>(std::min<long long>(left.count(), 20));
    const int ready = ::poll(fds.data(), fds.size(), wait);
    if (ready < 0 && errno == EINTR) {
      continue;
    }
    if (ready <= 0) {
      if (exited) {
        return true; // nothing more buffered; whoever still holds the pipes is not our program
      }
      if (out_pipe.read < 0 && err_pipe.read < 0) {
        ::usleep(1000);
      }
      continue;
    }
    if (fds[0].revents != 0) {
      read_some(out_pipe, out);
    }
    if (fds[1].revents != 0) {
      read_some(err_pipe, err);
    }
  }
}


std::vector<std::string> environment_strings(const Environ& environ_snapshot)
{
  std::vector<std::string> result;
  for (const auto& [name, value] : environ_snapshot.all()) {
    result.push_back(name + "=" + value);
  }
  return result;
}

} // namespace

std::optional<fs::path> find_in_path(std::string_view name, const Environ& environ_snapshot)
{
  if (name.find('/') != std::string_view::npos) {
    return ::access(std::string(name).c_str(), X_OK) == 0 ? std::optional<fs::path>(name)
                                                         : std::nullopt;
  }
  const std::string path = environ_snapshot.get("PATH").value_or("/usr/local/bin:/usr/bin:/bin");
  for (const std::string_view dir : util::split(path, ':')) {
    if (dir.empty()) {
      continue;
    }
    const fs::path candidate = fs::path(dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return std::nullopt;
}

ProgramResult run_program(const std::vector<std::string>& argv,
                          const Environ& environ_snapshot,
                          Deadline deadline)
{
  ProgramResult result;
  if (argv.empty()) {
    result.error = "no program given";
    return result;
  }
  const auto program = find_in_path(argv[0], environ_snapshot);
  if (!program) {
    result.error = "not found in PATH";
    return result;
  }
  Pipe out_pipe;
  Pipe err_pipe;
  if (out_pipe.read < 0 || err_pipe.read < 0) {
    result.error = std::strerror(errno);
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe.write, 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe.write, 2);

  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  std::vector<std::string> env_strings = environment_strings(environ_snapshot);
  std::vector<char*> envp;
  for (std::string& entry : env_strings) {
    envp.push_back(entry.data());
  }
  envp.push_back(nullptr);

  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, program->c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    result.error = std::strerror(rc);
    return result;
  }
  result.started = true;
  out_pipe.close_write();
  err_pipe.close_write();

  int status = 0;
  if (!drain(pid, out_pipe, err_pipe, result.out, result.err, status, deadline)) {
    result.timed_out = true;
    ::kill(pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  if (WIFEXITED(status) && !result.timed_out) {
    result.exit_code = WEXITSTATUS(status);
  }
  return result;
}

} // namespace cell0ctl
