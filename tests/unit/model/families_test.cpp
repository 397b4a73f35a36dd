// Architectures other than llama, on random-weights models from `pagoda
// mkmodel`, against greedy tokens recorded with llama.cpp (tag b10573,
// llama-simple, CPU build) on the very same files: the files are made by
// the test with the recorded command, which is deterministic for a seed.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "shared_data.h"
#include "subprocess.h"

namespace pagoda::model {
namespace {

struct Case {
  const char* name;
  const char* mkmodel_flags;
  const char* vocab;   // under peer-tests/llama.cpp-vocab/
  const char* prompt;
  std::vector<int32_t> prompt_ids;
  std::vector<int32_t> llama_cpp_greedy;  // 16 tokens from llama-simple -n 16
};

const Case kCases[] = {
    // Q/K/V biases, NeoX RoPE, byte-level BPE tokenizer.
    {"qwen2", "--arch qwen2 --n-embd 128 --n-layer 2 --n-head 4 --n-head-kv 2 --n-ff 256 --type f32 --seed 5",
     "ggml-vocab-gpt-2.gguf", "Hello world, this is", {15496, 995, 11, 428, 318},
     {5193, 5193, 16299, 43468, 17062, 12210, 25176, 6175, 7502, 31987, 6175, 7502, 31987, 6175, 22359, 3706}},
    // Per-head Q/K RMSNorm before RoPE, NeoX RoPE, no biases.
    {"qwen3", "--arch qwen3 --n-embd 128 --n-layer 2 --n-head 4 --n-head-kv 2 --n-ff 256 --type f32 --seed 6",
     "ggml-vocab-gpt-2.gguf", "Hello world, this is", {15496, 995, 11, 428, 318},
     {21814, 42884, 30352, 34294, 32298, 22921, 18023, 7641, 36666, 48892, 43650, 6806, 6806, 28829, 48892, 42179}},
};

TEST(Families, GreedyTokensMatchLlamaCpp) {
  for (const Case& c : kCases) {
    PAGODA_REQUIRE_SHARED(vocab, std::string("peer-tests/llama.cpp-vocab/") + c.vocab);
    const auto dir = testing::test_temp_dir();
    const std::string model = (dir / (std::string(c.name) + ".gguf")).string();
    const std::string bin = testing::pagoda_binary().string();
    auto r = testing::run_command(bin + " mkmodel " + c.mkmodel_flags + " --vocab-from " +
                                  testing::shell_quote(vocab.string()) + " -o " + testing::shell_quote(model) + " 2>&1");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    r = testing::run_command(bin + " run -m " + testing::shell_quote(model) + " -p " + testing::shell_quote(c.prompt) +
                             " -n 16 --temp 0 --json --threads 1 --kv-cache-type f32 2>/dev/null");
    ASSERT_EQ(r.exit_code, 0) << r.out;
    const auto j = nlohmann::json::parse(r.out);
    const auto prompt = j["prompt_tokens"].get<std::vector<int32_t>>();
    EXPECT_EQ(std::vector<int32_t>(prompt.begin() + (prompt.size() > c.prompt_ids.size() ? 1 : 0), prompt.end()),
              c.prompt_ids)
        << c.name;
    EXPECT_EQ(j["tokens"].get<std::vector<int32_t>>(), c.llama_cpp_greedy) << c.name;
  }
}

}  // namespace
}  // namespace pagoda::model
