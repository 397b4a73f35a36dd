// The official OpenAI Node SDK against `pagoda serve`: tests/openai-client/
// conformance.mjs drives two live servers (one started with --api-key) and
// checks what the SDK makes of the responses, stream chunks and errors.
//
// This runs the real binary as a child process rather than the in-process
// server, so that the command line (--chat-template, --api-key, --port 0)
// and the SIGTERM shutdown are part of what is tested.
//
// The SDK is installed with npm once per build directory. Without node or
// npm (or without network for the first install) the test is skipped, except
// under CI=true, where that is a failure.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "server_fixture.h"
#include "subprocess.h"

namespace pagoda::server::test {
namespace {

namespace fs = std::filesystem;
using pagoda::testing::run_command;
using pagoda::testing::shell_quote;

const fs::path kClientDir = fs::path(PAGODA_SOURCE_DIR) / "tests" / "openai-client";

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string tail(const std::string& s, size_t n = 4000) {
  return s.size() > n ? s.substr(s.size() - n) : s;
}

// The npm cache sits next to the build's bin/ folder, so it survives between
// runs and goes away with the build directory.
fs::path npm_dir() {
  fs::path dir = pagoda::testing::pagoda_binary().parent_path();
  if (dir.filename() == "bin") dir = dir.parent_path();
  return dir / "openai-client-npm";
}

// Installs the SDK pinned in package.json unless it is already there.
// Returns what went wrong, or "" on success.
std::string install_sdk(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return "cannot create " + dir.string() + ": " + ec.message();
  const fs::path wanted = kClientDir / "package.json";
  const fs::path installed = dir / "package.json";
  if (fs::exists(dir / "node_modules" / "openai" / "package.json") && fs::exists(installed) &&
      read_text(installed) == read_text(wanted)) {
    return "";
  }
  if (run_command("node --version 2>&1").exit_code != 0) return "node is not installed";
  if (run_command("npm --version 2>&1").exit_code != 0) return "npm is not installed";
  fs::copy_file(wanted, installed, fs::copy_options::overwrite_existing, ec);
  if (ec) return "cannot copy package.json: " + ec.message();
  std::cout << "[ openai client ] npm install into " << dir << std::endl;
  const auto r = run_command("npm install --no-audit --no-fund --loglevel=error --fetch-retries=1 --prefix " +
                             shell_quote(dir.string()) + " 2>&1");
  if (r.exit_code != 0) {
    fs::remove(installed, ec);  // so that the next run tries again
    return "npm install failed (exit " + std::to_string(r.exit_code) + "):\n" + tail(r.out);
  }
  return "";
}

// `pagoda serve` as a child process on an ephemeral port (--port 0; the port
// is read back from the "listening on" line, so no other process can take it
// between choosing and binding). Stopped with SIGTERM, as a supervisor would.
class ServeChild {
 public:
  ServeChild(const fs::path& model, const fs::path& log, const std::vector<std::string>& extra) : log_(log) {
    std::vector<std::string> args = {
        pagoda::testing::pagoda_binary().string(),
        "serve",
        "-m",
        model.string(),
        "--port",
        "0",
        "--chat-template",
        (fs::path(PAGODA_SOURCE_DIR) / "tools/chat-templates/plain.jinja").string(),
        "--threads",
        "1",
        "--drain-timeout",
        "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // posix_spawn rather than fork: the test process has threads, and the
    // child must not run anything that could need their locks.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    if (posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ServeChild() { stop(); }

  // Waits for the port and then for /health 200; "" or what went wrong.
  std::string wait_healthy(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    static const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    while (std::chrono::steady_clock::now() < deadline) {
      if (pid_ <= 0 && status_ == -1) return "cannot start " + pagoda::testing::pagoda_binary().string();
      if (exited()) return "pagoda serve exited early (status " + std::to_string(status_) + ")";
      std::smatch m;
      const std::string out = log();
      if (port_ == 0 && std::regex_search(out, m, listening)) port_ = std::stoi(m[1].str());
      if (port_ != 0 && call(port_, "GET", "/health").status == 200) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "pagoda serve did not become healthy";
  }

  // SIGTERM, then the exit status (SIGKILL after 10 s).
  int stop() {
    if (pid_ <= 0 || exited()) return status_;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 500 && !exited(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!exited()) {
      ::kill(pid_, SIGKILL);
      int st = 0;
      ::waitpid(pid_, &st, 0);
      pid_ = -1;
      status_ = -SIGKILL;
    }
    return status_;
  }

  int port() const { return port_; }
  std::string log() const { return read_text(log_); }

 private:
  bool exited() {
    if (pid_ <= 0) return true;
    int st = 0;
    if (::waitpid(pid_, &st, WNOHANG) != pid_) return false;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
    pid_ = -1;
    return true;
  }

  fs::path log_;
  pid_t pid_ = -1;
  int status_ = -1;
  int port_ = 0;
};

TEST(OpenAiClient, OfficialNodeSdkConformance) {
  PAGODA_REQUIRE_SHARED(model, "models/stories260K.gguf");
  const fs::path dir = npm_dir();
  const std::string problem = install_sdk(dir);
  if (!problem.empty()) {
    if (pagoda::testing::running_in_ci()) FAIL() << problem;
    GTEST_SKIP() << "the openai npm package is unavailable: " << problem;
  }

  const fs::path tmp = pagoda::testing::test_temp_dir();
  const std::string key = "conformance-key";
  ServeChild open_server(model, tmp / "serve.log", {});
  ServeChild keyed_server(model, tmp / "serve-keyed.log", {"--api-key", key});
  for (ServeChild* s : {&open_server, &keyed_server}) {
    const std::string err = s->wait_healthy(std::chrono::seconds(30));
    ASSERT_EQ(err, "") << tail(s->log());
  }

  const auto base = [](const ServeChild& s) {
    return "http://127.0.0.1:" + std::to_string(s.port()) + "/v1";
  };
  const auto r =
      run_command("timeout 120 node " + shell_quote((kClientDir / "conformance.mjs").string()) +
                  " --base-url " + shell_quote(base(open_server)) + " --model stories260K" +
                  " --node-modules " + shell_quote((dir / "node_modules").string()) + " --keyed-base-url " +
                  shell_quote(base(keyed_server)) + " --api-key " + shell_quote(key) + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << "conformance.mjs failed:\n"
                            << tail(r.out) << "\n--- server log ---\n"
                            << tail(open_server.log(), 3000);
  if (r.exit_code == 0) std::cout << r.out.substr(r.out.rfind("conformance:")) << std::flush;

  // SIGTERM drains and exits cleanly.
  EXPECT_EQ(open_server.stop(), 0) << tail(open_server.log());
  EXPECT_EQ(keyed_server.stop(), 0) << tail(keyed_server.log());
  std::error_code ec;
  if (!HasFailure()) fs::remove_all(tmp, ec);
}

}  // namespace
}  // namespace pagoda::server::test
