// `pagoda serve` as a process: SIGTERM drains in-flight work and exits 0,
// a TOML config file sets flags, a model that cannot load exits non-zero.
#include <fstream>
#include <future>

#include "child_process.h"
#include "server_fixture.h"
#include "subprocess.h"

namespace pagoda::server::test {
namespace {

bool wait_healthy(int port) {
  for (int i = 0; i < 500; ++i) {
    if (call(port, "GET", "/health").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
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
  const int port = pagoda::testing::free_port();
  pagoda::testing::ChildProcess server({pagoda::testing::pagoda_binary().string(), "serve", "-m", model_.string(),
                                        "--port", std::to_string(port), "--chat-template", tpl_.string(), "--quiet",
                                        "--drain-timeout", "20"},
                                       pagoda::testing::test_temp_dir() / "serve.log");
  ASSERT_TRUE(wait_healthy(port));
  const std::string body = json{{"prompt", "Once upon a time"}, {"max_tokens", 300}, {"n", 8}, {"stream", true},
                                {"ignore_eos", true}}.dump();
  const std::string req = "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
                          "\r\n\r\n" + body;
  auto stream = std::async(std::launch::async, [&] { return raw_exchange(port, req, "[DONE]", std::chrono::seconds(30)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  server.signal(SIGTERM);
  const std::string got = stream.get();
  EXPECT_NE(got.find("data: [DONE]"), std::string::npos) << got.substr(0, 300);
  EXPECT_EQ(got.find("\"finish_reason\":\"abort\""), std::string::npos);
  EXPECT_EQ(server.wait(), 0) << server.log();
  EXPECT_EQ(call(port, "GET", "/health").status, 0);  // nobody listens any more
}

TEST_F(ServeProcess, ConfigFileSetsFlagsAndTheCommandLineWins) {
  const int port = pagoda::testing::free_port();
  const auto cfg = pagoda::testing::test_temp_dir() / "pagoda.toml";
  std::ofstream(cfg) << "port = 1\nserved-model-name = \"tiny-stories\"\nmax-num-seqs = 4\nquiet = true\n"
                     << "chat-template = \"" << tpl_.string() << "\"\n";
  pagoda::testing::ChildProcess server({pagoda::testing::pagoda_binary().string(), "serve", "-m", model_.string(),
                                        "--config", cfg.string(), "--port", std::to_string(port)},
                                       pagoda::testing::test_temp_dir() / "serve.log");
  ASSERT_TRUE(wait_healthy(port));
  EXPECT_EQ(call(port, "GET", "/v1/models").json_body()["data"][0]["id"], "tiny-stories");
  server.signal(SIGINT);
  EXPECT_EQ(server.wait(), 0) << server.log();
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
