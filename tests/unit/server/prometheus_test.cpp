// /metrics as Prometheus itself sees it: after a mixed workload (completions,
// a streamed chat, bad requests, a stream the client drops), the exposition
// passes `promtool check metrics`, and a real Prometheus server scrapes it
// and answers PromQL over the TTFT histogram through its HTTP API.
//
// promtool and prometheus come from the Debian package `prometheus`
// (tools/bootstrap.sh). Without them the test is skipped, except under
// CI=true, where that is a failure.
#include <cctype>
#include <cmath>
#include <filesystem>
#include <fstream>
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
using Child = pagoda::testing::ChildProcess;

std::string find_tool(const std::string& name) {
  const auto r = run_command("command -v " + name + " 2>/dev/null");
  std::string path = r.out.substr(0, r.out.find('\n'));
  return r.exit_code == 0 ? path : "";
}

// Prometheus cannot report an ephemeral port back, so the test picks a free
// one (pagoda::testing::free_port) and retries if another process wins it.
using pagoda::testing::free_port;

std::string url_encode(const std::string& s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// One instant query against Prometheus' HTTP API: the result vector, or a
// null json with `error` set.
json promql(int port, const std::string& query, std::string* error) {
  const Reply r = call(port, "GET", "/api/v1/query?query=" + url_encode(query));
  const json j = r.json_body();
  if (r.status != 200 || !j.is_object() || j.value("status", "") != "success") {
    *error = "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 500);
    return nullptr;
  }
  error->clear();
  return j["data"]["result"];
}

// The single sample value of a one-series result, NaN if there is none.
double only_value(const json& result) {
  if (!result.is_array() || result.size() != 1) return std::nan("");
  return std::stod(result[0]["value"][1].get<std::string>());
}

// Polls `query` until `ok` accepts its value or `limit` passes.
template <class Ok>
double wait_for_value(int port, const std::string& query, Ok ok, std::chrono::seconds limit,
                      std::string* last) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  double v = std::nan("");
  while (std::chrono::steady_clock::now() < deadline) {
    std::string error;
    const json result = promql(port, query, &error);
    v = only_value(result);
    *last = error.empty() ? result.dump() : error;
    if (error.empty() && ok(v)) return v;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return v;
}

class PrometheusScrape : public LiveServer {
 protected:
  void SetUp() override {
    promtool_ = find_tool("promtool");
    prometheus_ = find_tool("prometheus");
    if (promtool_.empty() || prometheus_.empty()) {
      const std::string msg =
          "promtool and prometheus are needed (Debian package 'prometheus', tools/bootstrap.sh)";
      if (pagoda::testing::running_in_ci()) FAIL() << msg;
      GTEST_SKIP() << msg;
    }
    start();
  }

  // Finished completions (one with n = 2), a streamed chat, a 400, a 404 and
  // a stream the client hangs up on: every histogram and labelled counter
  // gets samples.
  void workload() {
    for (int i = 0; i < 3; ++i) {
      const Reply r =
          post(port_, "/v1/completions",
               {{"prompt", "Once upon a time"}, {"max_tokens", 8}, {"n", i == 0 ? 2 : 1}, {"seed", i}});
      ASSERT_EQ(r.status, 200) << r.body;
    }
    const json messages = json::array({{{"role", "user"}, {"content", "A cat"}}});
    const Reply chat = post(port_, "/v1/chat/completions",
                            {{"messages", messages},
                             {"max_tokens", 6},
                             {"stream", true},
                             {"stream_options", {{"include_usage", true}}}});
    ASSERT_EQ(chat.status, 200) << chat.body;
    EXPECT_EQ(post(port_, "/v1/completions", {{"prompt", "a"}, {"temperature", 5}}).status, 400);
    EXPECT_EQ(post(port_, "/v1/chat/completions", {{"model", "nope"}, {"messages", messages}}).status, 404);
    const std::string body = json{
        {"prompt", "Once upon a time"},
        {"max_tokens", 400},
        {"stream", true},
        {"ignore_eos", true},
        {"n", 4}}.dump();
    const std::string cancelled = raw_exchange(
        port_,
        "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body,
        "\"text\"", std::chrono::seconds(20));
    ASSERT_NE(cancelled.find("data: "), std::string::npos);
    // The drop is recorded once the server notices the closed socket.
    for (int i = 0; i < 250; ++i) {
      if (call(port_, "GET", "/metrics").body.find("finished_reason=\"abort\"") != std::string::npos) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    FAIL() << "the dropped stream never showed up as an abort in /metrics";
  }

  std::string promtool_, prometheus_;
};

TEST_F(PrometheusScrape, PromtoolAcceptsMetricsAndPrometheusScrapesThem) {
  workload();
  if (HasFatalFailure()) return;
  const fs::path tmp = pagoda::testing::test_temp_dir();

  // promtool: exit 1 is a parse error, exit 3 lint findings. Names carry the
  // "pagoda:" prefix (as vLLM's carry "vllm:"), which the exposition format
  // allows but promtool's linter flags, since colons are by convention left
  // to recording rules; that one finding is accepted, any other fails.
  const Reply metrics = call(port_, "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  std::ofstream(tmp / "metrics.txt", std::ios::binary) << metrics.body;
  const auto lint = run_command(shell_quote(promtool_) + " check metrics < " +
                                shell_quote((tmp / "metrics.txt").string()) + " 2>&1");
  EXPECT_TRUE(lint.exit_code == 0 || lint.exit_code == 3) << "promtool could not parse /metrics:\n"
                                                          << lint.out;
  static const std::regex colon_finding(R"(pagoda:[a-zA-Z0-9_:]+ metric names should not contain ':')");
  std::istringstream findings(lint.out);
  std::string unexpected;
  for (std::string line; std::getline(findings, line);) {
    if (!std::regex_match(line, colon_finding)) unexpected += line + "\n";
  }
  EXPECT_EQ(unexpected, "") << "/metrics was:\n" << metrics.body;

  // Prometheus, scraping every second.
  std::unique_ptr<Child> prometheus;
  int prom_port = 0;
  for (int attempt = 0; attempt < 3 && !prometheus; ++attempt) {
    prom_port = free_port();
    const fs::path config = tmp / "prometheus.yml";
    std::ofstream(config)
        << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
           "scrape_configs:\n  - job_name: pagoda\n    scrape_interval: 1s\n    scrape_timeout: 1s\n"
           "    static_configs:\n      - targets: ['127.0.0.1:"
        << port_ << "']\n";
    fs::remove_all(tmp / "tsdb");
    auto child = std::make_unique<Child>(
        std::vector<std::string>{
            prometheus_, "--config.file=" + config.string(), "--storage.tsdb.path=" + (tmp / "tsdb").string(),
            "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"},
        tmp / "prometheus.log");
    for (int i = 0; i < 300 && child->running(); ++i) {
      if (call(prom_port, "GET", "/-/ready").status == 200) {
        prometheus = std::move(child);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!prometheus && child->running()) FAIL() << "prometheus did not become ready:\n" << pagoda::testing::tail_of(child->log());
  }
  ASSERT_TRUE(prometheus) << "prometheus did not start:\n" << pagoda::testing::tail_of(read_text(tmp / "prometheus.log"));

  std::string last;
  const int64_t expected_count = 5;  // the completions, the chat stream and the dropped stream
  const double count = wait_for_value(
      prom_port, "pagoda:time_to_first_token_seconds_count{job=\"pagoda\"}",
      [&](double v) { return v == expected_count; }, std::chrono::seconds(15), &last);
  ASSERT_EQ(count, expected_count) << "last answer: " << last << "\n" << pagoda::testing::tail_of(prometheus->log());

  // The scrape itself went through cleanly (a parse error would show here).
  const Reply targets = call(prom_port, "GET", "/api/v1/targets");
  const json active = targets.json_body()["data"]["activeTargets"];
  ASSERT_EQ(active.size(), 1u) << targets.body;
  EXPECT_EQ(active[0]["health"], "up") << targets.body;
  EXPECT_EQ(active[0]["lastError"], "") << targets.body;

  std::string error;
  // Bucket bounds are written in their shortest form, so le="0.1" selects one.
  const json bucket = promql(prom_port, "pagoda:time_to_first_token_seconds_bucket{le=\"0.1\"}", &error);
  EXPECT_EQ(bucket.size(), 1u) << error << bucket.dump();
  const double median = only_value(promql(
      prom_port, "histogram_quantile(0.5, sum by (le) (pagoda:time_to_first_token_seconds_bucket))", &error));
  EXPECT_TRUE(median > 0 && median <= 40) << error << " median TTFT " << median;
  const double aborted =
      only_value(promql(prom_port, "pagoda:request_success_total{finished_reason=\"abort\"}", &error));
  EXPECT_GE(aborted, 4) << error;  // the dropped stream's four choices
  EXPECT_EQ(only_value(promql(prom_port, "pagoda:http_responses_total{status=\"400\"}", &error)), 1) << error;

  // rate() needs the counter to move between scrapes: more traffic, then the
  // dashboard-style quantile over a rate.
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(post(port_, "/v1/completions", {{"prompt", "Once"}, {"max_tokens", 4}}).status, 200);
  }
  const double p50 = wait_for_value(
      prom_port, "histogram_quantile(0.5, sum(rate(pagoda:time_to_first_token_seconds_bucket[1m])) by (le))",
      [](double v) { return std::isfinite(v) && v > 0; }, std::chrono::seconds(15), &last);
  EXPECT_TRUE(std::isfinite(p50) && p50 > 0) << "last answer: " << last;

  prometheus.reset();
  std::error_code ec;
  if (!HasFailure()) fs::remove_all(tmp, ec);
}

}  // namespace
}  // namespace pagoda::server::test
