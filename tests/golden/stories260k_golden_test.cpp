// End-to-end checks against reference outputs for stories260K (see
// ../shared/golden/README.md): tokenization, first-step logits of an F32
// forward pass, and greedy generation through the `pagoda run` CLI.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>

#include "model/model.h"
#include "model/single_sequence.h"
#include "shared_data.h"
#include "subprocess.h"
#include "tokenizer/tokenizer.h"

namespace pagoda {
namespace {

using nlohmann::json;

// The reference is F32 with an F32 KV cache; differences come only from
// summation order, measured well below this (README: numpy agrees to 5e-6).
constexpr double kLogitTolerance = 1e-3;

class Stories260KGolden : public ::testing::Test {
 protected:
  void SetUp() override {
    PAGODA_REQUIRE_SHARED(golden_path, "golden/stories260K.json");
    PAGODA_REQUIRE_SHARED(model_file, "models/stories260K.gguf");
    std::ifstream in(golden_path);
    golden_ = json::parse(in);
    model_path_ = model_file;
  }
  json golden_;
  std::filesystem::path model_path_;
};

TEST_F(Stories260KGolden, PromptsTokenizeToReferenceIds) {
  auto model = model::Model::load(model_path_.string());
  auto tok = tokenizer::make_tokenizer(tokenizer::load_vocab(model->file()));
  for (const auto& c : golden_["cases"]) {
    const auto ids = tok->encode(c["prompt"].get<std::string>(), true, false);
    EXPECT_EQ(ids, c["prompt_ids"].get<std::vector<int32_t>>()) << "case " << c["name"];
  }
}

TEST_F(Stories260KGolden, FirstStepLogitsMatchExactF32Reference) {
  auto model = model::Model::load(model_path_.string());
  ThreadPool pool(2);
  for (const auto& c : golden_["cases"]) {
    const auto ids = c["prompt_ids"].get<std::vector<int32_t>>();
    model::SingleSequence seq(*model, 512, kv::KvType::F32);
    std::vector<float> logits;
    seq.forward(ids, false, pool, logits);
    const auto expected = c["exact_f32"]["logits_first_full"].get<std::vector<double>>();
    ASSERT_EQ(logits.size(), expected.size());
    double max_diff = 0;
    for (size_t i = 0; i < logits.size(); ++i) max_diff = std::max(max_diff, std::abs(logits[i] - expected[i]));
    EXPECT_LT(max_diff, kLogitTolerance) << "case " << c["name"];
    std::cout << "[ INFO     ] " << c["name"].get<std::string>() << ": max |logit - reference| = " << max_diff << "\n";
  }
}

TEST_F(Stories260KGolden, TokenByTokenPrefillEqualsBatchedPrefill) {
  auto model = model::Model::load(model_path_.string());
  ThreadPool pool(1);
  const auto ids = golden_["cases"][0]["prompt_ids"].get<std::vector<int32_t>>();
  model::SingleSequence batched(*model, 64), stepped(*model, 64);
  std::vector<float> a, b;
  batched.forward(ids, false, pool, a);
  for (size_t i = 0; i < ids.size(); ++i) stepped.forward(std::span(ids).subspan(i, 1), false, pool, b);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-4) << "logit " << i;
}

TEST_F(Stories260KGolden, GreedyRunReproducesReferenceTokens) {
  for (const auto& c : golden_["cases"]) {
    const auto expected = c["exact_f32"]["generated_ids"].get<std::vector<int32_t>>();
    const std::string cmd = testing::pagoda_binary().string() + " run -m " + testing::shell_quote(model_path_) +
                            " -p " + testing::shell_quote(c["prompt"].get<std::string>()) + " -n " +
                            std::to_string(expected.size()) + " --temp 0 --threads 2 --json";
    const auto result = testing::run_command(cmd);
    ASSERT_EQ(result.exit_code, 0) << cmd << "\n" << result.out;
    const json out = json::parse(result.out);
    EXPECT_EQ(out["prompt_tokens"].get<std::vector<int32_t>>(), c["prompt_ids"].get<std::vector<int32_t>>());
    EXPECT_EQ(out["tokens"].get<std::vector<int32_t>>(), expected) << "case " << c["name"];
    EXPECT_EQ(out["text"].get<std::string>(), c["generated_text"].get<std::string>()) << "case " << c["name"];
    EXPECT_GT(out["timings"]["generation_tokens_per_s"].get<double>(), 0.0);
  }
}

}  // namespace
}  // namespace pagoda
