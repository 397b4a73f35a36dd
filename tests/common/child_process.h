#pragma once
// Processes the tests start and stop (servers, Prometheus): spawned with
// stdout and stderr in a log file, stopped with SIGTERM (SIGKILL if they
// linger); plus the small file and port helpers those tests share.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace pagoda::testing {

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The end of a long output, for failure messages.
inline std::string tail_of(const std::string& s, size_t n = 4000) { return s.size() > n ? s.substr(s.size() - n) : s; }

// A loopback port nothing listens on right now (another process may still
// take it before the caller binds; callers that can should use port 0).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> args, std::filesystem::path log) : log_(std::move(log)) {
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // posix_spawn rather than fork: the test process has threads, and the
    // child must not run anything that could need their locks.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  bool started() const { return pid_ > 0 || status_ != kNotStarted; }
  // True while the process runs; reaps it (and keeps its status) once it ends.
  bool running() {
    if (pid_ <= 0) return false;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) != pid_) return true;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    pid_ = -1;
    return false;
  }
  void signal(int sig) {
    if (running()) ::kill(pid_, sig);
  }
  // Waits for the exit, at most `limit` (then SIGKILL); the exit code, or
  // minus the signal that ended it.
  int wait(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (running() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (running()) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      pid_ = -1;
      status_ = -SIGKILL;
    }
    return status_;
  }
  // SIGTERM, as a supervisor would stop it, then wait().
  int stop(std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    signal(SIGTERM);
    return wait(limit);
  }
  std::string log() const { return read_text(log_); }

 private:
  static constexpr int kNotStarted = -1000;
  std::filesystem::path log_;
  pid_t pid_ = -1;
  int status_ = kNotStarted;
};

}  // namespace pagoda::testing
