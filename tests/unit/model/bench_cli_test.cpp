// `pagoda bench`: runs on a tiny mkmodel model, writes llama-bench-style JSON
// with positive speeds, and rejects bad flags with a clear message.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "shared_data.h"
#include "subprocess.h"

namespace pagoda {
namespace {

using testing::run_command;
using testing::shell_quote;

std::string pagoda() { return testing::pagoda_binary().string(); }

std::string tiny_model(const std::filesystem::path& dir) {
  const std::string path = (dir / "tiny.gguf").string();
  const auto r = run_command(pagoda() +
                             " mkmodel --arch llama --n-embd 64 --n-layer 2 --n-head 4 --n-head-kv 2 --n-ff 96"
                             " --vocab-size 300 --type q4_0 --seed 7 -o " + shell_quote(path) + " 2>&1");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  return path;
}

nlohmann::json read_json(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

TEST(BenchCli, WritesLlamaBenchJsonForPromptAndGeneration) {
  const auto dir = testing::test_temp_dir();
  const std::string model = tiny_model(dir);
  const auto json_path = dir / "bench.json";
  const auto r = run_command(pagoda() + " bench -m " + shell_quote(model) + " -p 16 -n 4 -t 1 -r 2 --json " +
                             shell_quote(json_path.string()) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("| model"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("pp16"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("tg4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("q4_0"), std::string::npos) << r.out;

  const nlohmann::json results = read_json(json_path);
  ASSERT_TRUE(results.is_array());
  ASSERT_EQ(results.size(), 2u) << results.dump(2);
  for (const auto& e : results) {
    for (const char* key : {"model_filename", "model_type", "model_size", "model_n_params", "n_threads", "n_prompt",
                            "n_gen", "test_time", "avg_ns", "stddev_ns", "avg_ts", "stddev_ts", "samples_ns",
                            "samples_ts", "median_ts", "cpu_path"}) {
      EXPECT_TRUE(e.contains(key)) << key << " missing in " << e.dump(2);
    }
    EXPECT_EQ(e["model_filename"], model);
    EXPECT_EQ(e["model_type"].get<std::string>().rfind("llama ", 0), 0u) << e["model_type"];
    EXPECT_NE(e["model_type"].get<std::string>().find("Q4_0"), std::string::npos) << e["model_type"];
    EXPECT_GT(e["model_size"].get<int64_t>(), 0);
    EXPECT_GT(e["model_n_params"].get<int64_t>(), 0);
    EXPECT_EQ(e["n_threads"], 1);
    EXPECT_GT(e["avg_ts"].get<double>(), 0.0);
    EXPECT_GT(e["avg_ns"].get<int64_t>(), 0);
    EXPECT_GE(e["stddev_ts"].get<double>(), 0.0);
    EXPECT_GT(e["median_ts"].get<double>(), 0.0);
    EXPECT_EQ(e["samples_ns"].size(), 2u);
    EXPECT_EQ(e["samples_ts"].size(), 2u);
    EXPECT_FALSE(e["cpu_path"].get<std::string>().empty());
    const std::string time = e["test_time"];
    EXPECT_EQ(time.size(), 20u) << time;  // 2024-01-02T03:04:05Z
    EXPECT_EQ(time.back(), 'Z') << time;
    EXPECT_FALSE(e.contains("bound_ts")) << "bandwidth fields only with --membw";
  }
  EXPECT_EQ(results[0]["n_prompt"], 16);
  EXPECT_EQ(results[0]["n_gen"], 0);
  EXPECT_EQ(results[1]["n_prompt"], 0);
  EXPECT_EQ(results[1]["n_gen"], 4);
}

TEST(BenchCli, MembwAddsTheDecodeBound) {
  const auto dir = testing::test_temp_dir();
  const std::string model = tiny_model(dir);
  const auto json_path = dir / "bench.json";
  // A small buffer keeps the test fast; the numbers only need to be sane.
  const auto r = run_command(pagoda() + " bench -m " + shell_quote(model) +
                             " -p 0 -n 4 -t 1 -r 1 --membw --membw-mib 16 --json " + shell_quote(json_path.string()) +
                             " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("GB/s"), std::string::npos) << r.out;
  const nlohmann::json results = read_json(json_path);
  ASSERT_EQ(results.size(), 1u) << results.dump(2);  // -p 0 skips the prompt test
  const auto& e = results[0];
  EXPECT_EQ(e["n_gen"], 4);
  EXPECT_GT(e["membw_gbs"].get<double>(), 0.0);
  EXPECT_GT(e["bound_ts"].get<double>(), 0.0);
  EXPECT_GT(e["bound_fraction"].get<double>(), 0.0);
  // Only one embedding row is read per token, so fewer bytes than the file holds.
  EXPECT_LT(e["bytes_per_token"].get<int64_t>(), e["model_size"].get<int64_t>());
}

TEST(BenchCli, BadFlagsFailWithAClearMessage) {
  const auto dir = testing::test_temp_dir();
  const std::string model = tiny_model(dir);
  const std::string m = " bench -m " + shell_quote(model);
  struct Case {
    std::string args;
    std::string message;
  };
  for (const Case& c : {Case{m + " -p 12,abc", "'abc' is not an integer"},
                        Case{m + " -n 4,", "--n-gen needs a comma-separated list of integers"},
                        Case{m + " -t 0", "--threads values must be >= 1"},
                        Case{m + " -r 0", "--repetitions must be >= 1"},
                        Case{m + " -p 0 -n 0", "nothing to run"},
                        Case{m + " -p 8 -c 4", "--ctx-size 4 is smaller"},
                        Case{" bench -p 16", "missing required flag --model"},
                        Case{" bench -m " + shell_quote((dir / "missing.gguf").string()), "model file not found"}}) {
    const auto r = run_command(pagoda() + c.args + " 2>&1");
    EXPECT_NE(r.exit_code, 0) << c.args;
    EXPECT_NE(r.out.find(c.message), std::string::npos) << c.args << "\n" << r.out;
    EXPECT_NE(r.out.find("pagoda bench: error:"), std::string::npos) << r.out;
  }
}

}  // namespace
}  // namespace pagoda
