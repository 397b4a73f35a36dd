// `pagoda bench serve` against a live server: every request completes and
// the report carries the figures it promises.
#include <fstream>

#include "server_fixture.h"
#include "subprocess.h"

namespace pagoda::server::test {
namespace {

class BenchServe : public LiveServer {
 protected:
  void SetUp() override { start(); }
};

TEST_F(BenchServe, ReportsThroughputAndLatencies) {
  const auto out = pagoda::testing::test_temp_dir() / "bench.json";
  const std::string cmd = pagoda::testing::pagoda_binary().string() + " bench serve --base-url http://127.0.0.1:" +
                          std::to_string(port_) + " --model stories260K --concurrency 4 --num-prompts 8" +
                          " --input-len 32 --output-len 16 --token-range 10:500 --json " +
                          pagoda::testing::shell_quote(out.string()) + " 2>&1";
  const auto r = pagoda::testing::run_command(cmd);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  std::ifstream in(out);
  const json j = json::parse(in);
  EXPECT_EQ(j["completed"], 8);
  EXPECT_EQ(j["errors"], 0);
  EXPECT_GT(j["output_tokens_per_s"].get<double>(), 0);
  for (const char* k : {"ttft_mean_ms", "ttft_median_ms", "ttft_p99_ms", "tpot_mean_ms", "itl_p99_ms",
                        "request_throughput"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_GT(j["ttft_mean_ms"].get<double>(), 0);

  // A wrong model name is an error the report counts (and the exit code says).
  const auto bad = pagoda::testing::run_command(
      pagoda::testing::pagoda_binary().string() + " bench serve --base-url http://127.0.0.1:" + std::to_string(port_) +
      " --model nope --concurrency 1 --num-prompts 1 --input-len 4 --output-len 2 --token-range 10:500 2>&1");
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.out.find("HTTP 404"), std::string::npos) << bad.out;
}

}  // namespace
}  // namespace pagoda::server::test
