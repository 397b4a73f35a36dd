#include "eval/perplexity.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "eval/kl_divergence.h"
#include "child_process.h"
#include "shared_data.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace pagoda::eval {
namespace {

struct Stories {
  std::unique_ptr<model::Model> model;
  std::vector<int32_t> tokens;
  int32_t bos = -1;
};

Stories load_stories(const std::filesystem::path& model_path, const std::filesystem::path& text_path) {
  Stories s;
  s.model = model::Model::load(model_path.string());
  auto tok = tokenizer::make_tokenizer(tokenizer::load_vocab(s.model->file()));
  s.tokens = tok->encode(testing::read_text(text_path), true, false);
  s.bos = tok->vocab().bos;
  return s;
}

TEST(Perplexity, MatchesLlamaPerplexityOnStories260K) {
  PAGODA_REQUIRE_SHARED(model_path, "models/stories260K.gguf");
  PAGODA_REQUIRE_SHARED(text_path, "data/tiny-stories-sample.txt");
  PAGODA_REQUIRE_SHARED(golden_path, "golden/stories260K.json");
  const auto golden = nlohmann::json::parse(testing::read_text(golden_path))["perplexity"];
  Stories s = load_stories(model_path, text_path);
  ASSERT_EQ(static_cast<int64_t>(s.tokens.size()), golden["n_tokens_with_bos"].get<int64_t>());
  ThreadPool pool(2);
  for (const auto& want : golden["results"]) {
    const int64_t n_ctx = want["n_ctx"].get<int64_t>();
    for (const auto kv : {kv::KvType::F32, kv::KvType::F16}) {
      const PerplexityResult r = perplexity(*s.model, s.tokens, n_ctx, 0, s.bos, kv, pool);
      SCOPED_TRACE(::testing::Message() << "n_ctx " << n_ctx << " kv " << kv::kv_type_name(kv));
      EXPECT_EQ(r.n_chunks, want["n_chunks"].get<int64_t>());
      EXPECT_EQ(r.n_scored, r.n_chunks * (n_ctx - 1 - n_ctx / 2));
      EXPECT_NEAR(r.ppl, want["ppl"].get<double>(), 0.01);
      EXPECT_NEAR(r.ppl, want["numpy_reference_ppl"].get<double>(), 0.005 * r.ppl);
      EXPECT_NEAR(r.ppl_stderr, want["ppl_stderr"].get<double>(), 0.002);
      ASSERT_EQ(r.running_ppl.size(), want["running_ppl_after_each_chunk"].size());
      for (size_t i = 0; i < r.running_ppl.size(); ++i) {
        EXPECT_NEAR(r.running_ppl[i], want["running_ppl_after_each_chunk"][i].get<double>(), 0.01) << "chunk " << i;
      }
    }
  }
}

TEST(Perplexity, TooShortTextIsAClearError) {
  PAGODA_REQUIRE_SHARED(model_path, "models/stories260K.gguf");
  auto model = model::Model::load(model_path.string());
  ThreadPool pool(1);
  const std::vector<int32_t> tokens(100, 5);
  try {
    perplexity(*model, tokens, 128, 0, 1, kv::KvType::F32, pool);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("fewer than one chunk"), std::string::npos);
  }
}

TEST(NllStats, DeltaMethodStandardError) {
  NllStats s;
  for (double v : {1.0, 2.0, 3.0}) s.add(v);
  EXPECT_DOUBLE_EQ(s.mean(), 2.0);
  EXPECT_NEAR(s.ppl(), std::exp(2.0), 1e-12);
  // population variance 2/3, over n - 1 = 2: sqrt(1/3)
  EXPECT_NEAR(s.ppl_stderr(), std::exp(2.0) * std::sqrt(1.0 / 3.0), 1e-12);
}

TEST(KlDivergence, SelfIsZeroAndKvQuantizationIsSmallButPositive) {
  PAGODA_REQUIRE_SHARED(model_path, "models/stories260K.gguf");
  PAGODA_REQUIRE_SHARED(text_path, "data/tiny-stories-sample.txt");
  Stories s = load_stories(model_path, text_path);
  ThreadPool pool(2);
  const std::string base = (testing::test_temp_dir() / "base.kld").string();
  const PerplexityResult pr = save_base_logprobs(base, *s.model, s.tokens, 256, 0, s.bos, kv::KvType::F32, pool);
  EXPECT_NEAR(pr.ppl, perplexity(*s.model, s.tokens, 256, 0, s.bos, kv::KvType::F32, pool).ppl, 1e-9);

  const KldResult self = compare_to_base(base, *s.model, s.tokens, s.bos, kv::KvType::F32, pool);
  EXPECT_EQ(self.n_positions, pr.n_scored);
  EXPECT_LT(self.mean_kld, 1e-5);  // only the F16 rounding of the stored log-probs
  EXPECT_DOUBLE_EQ(self.top1_agreement, 1.0);
  EXPECT_NEAR(self.ppl_ratio, 1.0, 1e-3);
  EXPECT_NEAR(self.ppl_base, pr.ppl, 1e-3 * pr.ppl);

  const KldResult q8 = compare_to_base(base, *s.model, s.tokens, s.bos, kv::KvType::Q8_0, pool);
  EXPECT_GT(q8.mean_kld, self.mean_kld);
  EXPECT_LT(q8.mean_kld, 0.05);
  EXPECT_GE(q8.p99_kld, q8.median_kld);
  EXPECT_GE(q8.max_kld, q8.p99_kld);
  EXPECT_GT(q8.top1_agreement, 0.8);
}

TEST(KlDivergence, RejectsForeignOrDamagedBaseFiles) {
  PAGODA_REQUIRE_SHARED(model_path, "models/stories260K.gguf");
  PAGODA_REQUIRE_SHARED(text_path, "data/tiny-stories-sample.txt");
  Stories s = load_stories(model_path, text_path);
  ThreadPool pool(1);
  const auto dir = testing::test_temp_dir();
  const std::string base = (dir / "base.kld").string();
  save_base_logprobs(base, *s.model, s.tokens, 128, 2, s.bos, kv::KvType::F32, pool);
  const auto error = [&](const std::string& path, std::span<const int32_t> tokens) -> std::string {
    try {
      compare_to_base(path, *s.model, tokens, s.bos, kv::KvType::F32, pool);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_EQ(error(base, s.tokens), "");
  std::vector<int32_t> other = s.tokens;
  other[10] = other[10] == 5 ? 6 : 5;
  EXPECT_NE(error(base, other).find("other tokens"), std::string::npos);
  EXPECT_NE(error(base, std::span(s.tokens).first(500)).find("tokens"), std::string::npos);
  const std::string bytes = testing::read_text(base);
  std::ofstream((dir / "cut.kld").string(), std::ios::binary) << bytes.substr(0, bytes.size() - 100);
  EXPECT_NE(error((dir / "cut.kld").string(), s.tokens).find("cut short"), std::string::npos);
  std::ofstream((dir / "junk.kld").string(), std::ios::binary) << "not a base file at all";
  EXPECT_NE(error((dir / "junk.kld").string(), s.tokens).find("not a base file"), std::string::npos);
}

}  // namespace
}  // namespace pagoda::eval
