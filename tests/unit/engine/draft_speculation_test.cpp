// Speculative decoding with a draft model: greedy outputs are exactly those
// of plain decoding, sampled outputs follow the target's distribution (the
// acceptance rule), and neither cache leaks blocks.
#include <cmath>
#include <map>

#include "engine_test_util.h"
#include "model/single_sequence.h"

namespace pagoda::engine::test {
namespace {

class DraftSpeculation : public StoriesEngineTest {
 protected:
  void SetUp() override {
    StoriesEngineTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    // A draft that agrees with the target (itself) and one that mostly does
    // not (random weights, the same vocabulary).
    self_draft_ = model::Model::load((pagoda::testing::shared_dir() / "models/stories260K.gguf").string());
    const std::string vocab = (pagoda::testing::shared_dir() / "models/stories260K.gguf").string();
    random_draft_ = model::Model::load(make_random_model(
        "draft.gguf", "--n-embd 32 --n-layer 1 --n-head 2 --n-ff 64 --type f32 --vocab-from " + vocab));
  }

  std::vector<Request> prompts(int count, int64_t max_tokens) {
    const char* texts[] = {"Once upon a time", "Lily and Ben", "The dog ran", "Tom had a ball", "The sun",
                           "Mom said", "A cat", "The bird sang", "Sam was sad", "The big tree",
                           "One day, a girl", "The car", "Timmy liked", "Sue found", "The frog",
                           "There was a boy", "The park", "Anna wanted", "The ball was red", "Max and his dad"};
    std::vector<Request> out;
    for (int i = 0; i < count; ++i) out.push_back(greedy(m_.tokenizer->encode(texts[i % 20], true, false), max_tokens));
    return out;
  }

  std::vector<Output> run(const std::vector<Request>& requests, model::Model* draft, int seqs,
                          EngineStats* stats = nullptr, int k = 4) {
    EngineConfig c;
    c.max_num_seqs = seqs;
    c.max_waiting = static_cast<int64_t>(requests.size());
    if (draft) {
      c.speculative.mode = SpeculativeConfig::Mode::Draft;
      c.speculative.draft_model = draft;
      c.speculative.num_tokens = k;
    }
    EngineCore core(*m_.model, m_.tokenizer.get(), c, pool_);
    std::vector<Output> out = run_all(core, requests);
    expect_all_blocks_free(core);
    if (stats) *stats = core.stats();
    return out;
  }

  std::unique_ptr<model::Model> self_draft_, random_draft_;
};

TEST_F(DraftSpeculation, GreedyOutputIsUnchangedAloneAndInABatchOfEight) {
  const std::vector<Request> requests = prompts(20, 40);
  const std::vector<Output> plain = run(requests, nullptr, 1);
  for (model::Model* draft : {self_draft_.get(), random_draft_.get()}) {
    EngineStats alone_stats, batch_stats;
    const std::vector<Output> alone = run(requests, draft, 1, &alone_stats);
    const std::vector<Output> batched = run(requests, draft, 8, &batch_stats);
    for (size_t i = 0; i < requests.size(); ++i) {
      EXPECT_EQ(alone[i].tokens, plain[i].tokens) << "prompt " << i;
      EXPECT_EQ(batched[i].tokens, plain[i].tokens) << "prompt " << i;
      EXPECT_EQ(batched[i].text, plain[i].text) << "prompt " << i;
    }
    EXPECT_GT(alone_stats.spec_proposed, 0);
    EXPECT_LE(alone_stats.spec_accepted, alone_stats.spec_proposed);
    if (draft == self_draft_.get()) {
      // The target as its own draft: every proposal is right, 5 tokens a step.
      EXPECT_EQ(alone_stats.spec_accepted, alone_stats.spec_proposed);
      EXPECT_EQ(batch_stats.spec_accepted, batch_stats.spec_proposed);
      EXPECT_LT(alone_stats.steps, 20 * 12);
    }
  }
}

TEST_F(DraftSpeculation, SampledRequestsWithAnIdenticalDraftAcceptEverything) {
  // p == q: min(1, p/q) = 1 at every proposal.
  std::vector<Request> requests = prompts(8, 30);
  for (size_t i = 0; i < requests.size(); ++i) {
    requests[i].sampling.temperature = 0.8f;
    requests[i].sampling.seed = 7 + i;
  }
  EngineStats stats;
  run(requests, self_draft_.get(), 8, &stats);
  EXPECT_GT(stats.spec_proposed, 0);
  EXPECT_EQ(stats.spec_accepted, stats.spec_proposed);
}

TEST_F(DraftSpeculation, SampledNextTokenFollowsTheTargetDistribution) {
  // The token after a fixed prefix, drawn N times through speculation with a
  // draft whose distribution is far from the target's (so most draws go
  // through the residual max(0, p - q)), against the target's exact softmax.
  // Bound: total variation 0.06. About 60% of the runs draw the prefix's last
  // token first (~2400 conditioned draws); an exact sampler's expected TV is
  // then ~0.02 (the target's top token has p ~0.64), while the draft's own
  // distribution is > 0.5 away (checked below, so the test can fail).
  const std::vector<int32_t> prefix = m_.tokenizer->encode("Once upon a time, there was a little", true, false);
  const int n = 4000;
  std::vector<Request> requests;
  for (int i = 0; i < n; ++i) {
    Request r;
    // The last prefix token is the "first generated" one: forced via a
    // 1-token logit bias would change p, so instead the prompt ends one token
    // early and only runs whose first token equals it are counted.
    r.prompt.assign(prefix.begin(), prefix.end() - 1);
    r.sampling.temperature = 1.0f;
    r.sampling.top_k = 0;
    r.sampling.top_p = 1.0f;
    r.sampling.min_p = 0.0f;
    r.sampling.seed = 1000 + static_cast<uint64_t>(i);
    r.max_tokens = 3;  // token 2 is verified against one proposal (the last one is always sampled)
    r.ignore_eos = true;
    requests.push_back(r);
  }
  EngineStats stats;
  const std::vector<Output> out = run(requests, random_draft_.get(), 64, &stats, 2);
  std::map<int32_t, int> counts;
  int conditioned = 0;
  for (const Output& o : out) {
    ASSERT_EQ(o.tokens.size(), 3u);
    if (o.tokens[0] != prefix.back()) continue;
    ++counts[o.tokens[1]];
    ++conditioned;
  }
  ASSERT_GT(conditioned, n / 2) << "the prefix's last token should be the likely first token";
  EXPECT_GT(stats.spec_proposed, 0);
  EXPECT_LT(stats.spec_accepted, stats.spec_proposed / 2) << "the random draft should be rejected mostly";

  // The exact target and draft distributions after the full prefix.
  const auto softmax_after = [&](model::Model& m) {
    model::SingleSequence seq(m, 64, kv::KvType::F32);
    std::vector<float> logits;
    seq.forward(prefix, false, pool_, logits);
    double max = -1e30, sum = 0;
    for (float v : logits) max = std::max<double>(max, v);
    std::vector<double> p(logits.size());
    for (size_t i = 0; i < p.size(); ++i) sum += (p[i] = std::exp(logits[i] - max));
    for (double& v : p) v /= sum;
    return p;
  };
  const std::vector<double> p = softmax_after(*m_.model);
  const std::vector<double> q = softmax_after(*random_draft_);
  double tv = 0, tv_draft = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const auto it = counts.find(static_cast<int32_t>(i));
    const double f = it == counts.end() ? 0.0 : static_cast<double>(it->second) / conditioned;
    tv += std::abs(f - p[i]) / 2;
    tv_draft += std::abs(q[i] - p[i]) / 2;
  }
  std::cout << "[ INFO     ] max p " << *std::max_element(p.begin(), p.end()) << ", " << conditioned << " draws, TV to target " << tv << ", draft's TV to target " << tv_draft
            << ", acceptance " << stats.spec_accepted << "/" << stats.spec_proposed << "\n";
  EXPECT_LT(tv, 0.06);
  EXPECT_GT(tv_draft, 0.5);
}

TEST_F(DraftSpeculation, MismatchedVocabularyIsAClearError) {
  auto other = model::Model::load(make_random_model("other.gguf", "--n-embd 32 --n-layer 1 --n-head 2 --n-ff 64 --vocab-size 600"));
  EngineConfig c;
  c.speculative.mode = SpeculativeConfig::Mode::Draft;
  c.speculative.draft_model = other.get();
  try {
    EngineCore core(*m_.model, m_.tokenizer.get(), c, pool_);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocabulary"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace pagoda::engine::test
