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
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "server_fixture.h"
#include "subprocess.h"

namespace pagoda::server::test {
namespace {

namespace fs = std::filesystem;
using pagoda::testing::run_command;
using pagoda::testing::read_text;
using pagoda::testing::shell_quote;

const fs::path kClientDir = fs::path(PAGODA_SOURCE_DIR) / "tests" / "openai-client";

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
    return "npm install failed (exit " + std::to_string(r.exit_code) + "):\n" + pagoda::testing::tail_of(r.out);
  }
  return "";
}

// `pagoda serve` as a child process on an ephemeral port (--port 0; the port
// is read back from the "listening on" line, so no other process can take it
// between choosing and binding). Stopped with SIGTERM, as a supervisor would.
class ServeChild {
 public:
  ServeChild(const fs::path& model, const fs::path& log, const std::vector<std::string>& extra)
      : process_(command(model, extra), log) {}

  // Waits for the port and then for /health 200; "" or what went wrong.
  std::string wait_healthy(std::chrono::seconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    static const std::regex listening(R"(listening on http://127\.0\.0\.1:(\d+))");
    while (std::chrono::steady_clock::now() < deadline) {
      if (!process_.started()) return "cannot start " + pagoda::testing::pagoda_binary().string();
      if (!process_.running()) return "pagoda serve exited early (status " + std::to_string(process_.wait()) + ")";
      std::smatch m;
      const std::string out = log();
      if (port_ == 0 && std::regex_search(out, m, listening)) port_ = std::stoi(m[1].str());
      if (port_ != 0 && call(port_, "GET", "/health").status == 200) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return "pagoda serve did not become healthy";
  }

  int stop() { return process_.stop(); }  // SIGTERM, then the exit status
  int port() const { return port_; }
  std::string log() const { return process_.log(); }

 private:
  static std::vector<std::string> command(const fs::path& model, const std::vector<std::string>& extra) {
    std::vector<std::string> args = {pagoda::testing::pagoda_binary().string(), "serve", "-m", model.string(),
                                     "--port", "0", "--chat-template",
                                     (fs::path(PAGODA_SOURCE_DIR) / "tools/chat-templates/plain.jinja").string(),
                                     "--threads", "1", "--drain-timeout", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  pagoda::testing::ChildProcess process_;
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
    ASSERT_EQ(err, "") << pagoda::testing::tail_of(s->log());
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
                            << pagoda::testing::tail_of(r.out) << "\n--- server log ---\n"
                            << pagoda::testing::tail_of(open_server.log(), 3000);
  if (r.exit_code == 0) std::cout << r.out.substr(r.out.rfind("conformance:")) << std::flush;

  // SIGTERM drains and exits cleanly.
  EXPECT_EQ(open_server.stop(), 0) << pagoda::testing::tail_of(open_server.log());
  EXPECT_EQ(keyed_server.stop(), 0) << pagoda::testing::tail_of(keyed_server.log());
  std::error_code ec;
  if (!HasFailure()) fs::remove_all(tmp, ec);
}

}  // namespace
}  // namespace pagoda::server::test
