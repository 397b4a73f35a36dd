// `pagoda serve` as a process: SIGTERM drains in-flight work and exits 0,
// a TOML config file sets flags, a model that cannot load exits non-zero.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <future>

#include "server_fixture.h"
#include "subprocess.h"

namespace pagoda::server::test {
namespace {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

pid_t spawn(const std::vector<std::string>& args) {
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

bool wait_healthy(int port) {
  for (int i = 0; i < 500; ++i) {
    if (call(port, "GET", "/health").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int exit_code(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

class ServeProcess : public ::testing::Test {
 protected:
  void SetUp() override {
    model_ = pagoda::testing::shared_dir() / "models/stories260K.gguf";
    if (!std::filesystem::exists(model_)) {
      if (pagoda::testing::running_in_ci()) FAIL() << "missing shared data: " << model_;
      GTEST_SKIP() << "missing shared data: " << model_;
    }
    tpl_ = std::filesystem::path(PAGODA_SOURCE_DIR) / "tools/chat-templates/plain.jinja";
  }
  std::filesystem::path model_, tpl_;
};

TEST_F(ServeProcess, SigtermFinishesInFlightStreamsThenExitsZero) {
  const int port = free_port();
  const pid_t pid = spawn({pagoda::testing::pagoda_binary().string(), "serve", "-m", model_.string(), "--port",
                           std::to_string(port), "--chat-template", tpl_.string(), "--quiet", "--drain-timeout", "20"});
  ASSERT_TRUE(wait_healthy(port));
  const std::string body = json{{"prompt", "Once upon a time"}, {"max_tokens", 300}, {"n", 8}, {"stream", true},
                                {"ignore_eos", true}}.dump();
  const std::string req = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n\r\n" + body;
  auto stream = std::async(std::launch::async, [&] { return raw_exchange(port, req, "[DONE]", std::chrono::seconds(30)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  ::kill(pid, SIGTERM);
  const std::string got = stream.get();
  EXPECT_NE(got.find("data: [DONE]"), std::string::npos) << got.substr(0, 300);
  EXPECT_EQ(got.find("\"finish_reason\":\"abort\""), std::string::npos);
  EXPECT_EQ(exit_code(pid), 0);
  EXPECT_EQ(call(port, "GET", "/health").status, 0);  // nobody listens any more
}

TEST_F(ServeProcess, ConfigFileSetsFlagsAndTheCommandLineWins) {
  const int port = free_port();
  const auto cfg = pagoda::testing::test_temp_dir() / "pagoda.toml";
  std::ofstream(cfg) << "port = 1\nserved-model-name = \"tiny-stories\"\nmax-num-seqs = 4\nquiet = true\n"
                     << "chat-template = \"" << tpl_.string() << "\"\n";
  const pid_t pid = spawn({pagoda::testing::pagoda_binary().string(), "serve", "-m", model_.string(), "--config",
                           cfg.string(), "--port", std::to_string(port)});
  ASSERT_TRUE(wait_healthy(port));
  EXPECT_EQ(call(port, "GET", "/v1/models").json_body()["data"][0]["id"], "tiny-stories");
  ::kill(pid, SIGINT);
  EXPECT_EQ(exit_code(pid), 0);
}

TEST_F(ServeProcess, BadModelOrConfigExitsNonZeroWithAMessage) {
  const auto r = pagoda::testing::run_command(pagoda::testing::pagoda_binary().string() +
                                              " serve -m /nonexistent.gguf --port 0 --quiet 2>&1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.out.find("nonexistent"), std::string::npos) << r.out;
  const auto cfg = pagoda::testing::test_temp_dir() / "bad.toml";
  std::ofstream(cfg) << "port = [1, 2\n";
  const auto c = pagoda::testing::run_command(pagoda::testing::pagoda_binary().string() + " serve -m " +
                                              model_.string() + " --config " + cfg.string() + " 2>&1");
  EXPECT_NE(c.exit_code, 0);
  EXPECT_NE(c.out.find("config file"), std::string::npos) << c.out;
}

}  // namespace
}  // namespace pagoda::server::test
