// Speculative decoding with n-gram proposals: outputs are exactly those of
// plain decoding (greedy and seeded sampling), alone and in a batch, while
// proposals get accepted and no block leaks.
#include "child_process.h"
#include "engine/ngram_proposer.h"
#include "engine_test_util.h"

namespace pagoda::engine::test {
namespace {

TEST(NgramProposer, CopiesWhatFollowedTheMostRecentMatch) {
  std::vector<int32_t> out;
  propose_ngram(std::vector<int32_t>{1, 2, 3, 9, 1, 2, 3, 7, 8, 1, 2, 3}, 1, 3, 2, out);
  EXPECT_EQ(out, (std::vector<int32_t>{7, 8}));  // the later "1 2 3" wins
  out.clear();
  propose_ngram(std::vector<int32_t>{5, 6, 7}, 1, 3, 4, out);
  EXPECT_TRUE(out.empty());
  out.clear();
  propose_ngram(std::vector<int32_t>{4, 5, 4}, 1, 3, 4, out);  // only a 1-gram recurs
  EXPECT_EQ(out, (std::vector<int32_t>{5, 4}));
}

class Speculative : public StoriesEngineTest {
 protected:

  std::vector<Request> twenty_prompts(bool sampled) {
    const char* texts[] = {"Once upon a time", "Lily and Ben", "The dog ran", "Tom had a ball", "The sun",
                           "Mom said", "A cat", "The bird sang", "Sam was sad", "The big tree",
                           "One day, a girl", "The car", "Timmy liked", "Sue found", "The frog",
                           "There was a boy", "The park", "Anna wanted", "The ball was red", "Max and his dad"};
    std::vector<Request> out;
    int i = 0;
    for (const char* t : texts) {
      Request r = greedy(m_.tokenizer->encode(t, true, false), 48);
      if (sampled) {
        r.sampling.temperature = 0.9f;
        r.sampling.seed = 100 + static_cast<uint64_t>(i);
      }
      out.push_back(r);
      ++i;
    }
    return out;
  }

  std::vector<Output> run(const std::vector<Request>& requests, bool speculate, int seqs, EngineStats* stats = nullptr) {
    EngineConfig c;
    c.max_num_seqs = seqs;
    if (speculate) c.speculative.mode = SpeculativeConfig::Mode::Ngram;
    EngineCore core(*m_.model, m_.tokenizer.get(), c, pool_);
    std::vector<Output> out = run_all(core, requests);
    expect_all_blocks_free(core);
    if (stats) *stats = core.stats();
    return out;
  }
};

TEST_F(Speculative, GreedyOutputIsUnchangedAloneAndInABatchOfEight) {
  const std::vector<Request> requests = twenty_prompts(false);
  const std::vector<Output> plain = run(requests, false, 1);
  EngineStats alone_stats, batch_stats;
  const std::vector<Output> alone = run(requests, true, 1, &alone_stats);
  const std::vector<Output> batched = run(requests, true, 8, &batch_stats);
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(alone[i].tokens, plain[i].tokens) << "prompt " << i;
    EXPECT_EQ(batched[i].tokens, plain[i].tokens) << "prompt " << i;
    EXPECT_EQ(batched[i].text, plain[i].text) << "prompt " << i;
  }
  EXPECT_GT(alone_stats.spec_proposed, 0);
  EXPECT_GT(alone_stats.spec_accepted, 0);
  EXPECT_LE(alone_stats.spec_accepted, alone_stats.spec_proposed);
  EXPECT_GT(batch_stats.spec_accepted, 0);
  ASSERT_FALSE(alone_stats.spec_accepted_at.empty());
  int64_t by_position = 0;
  for (const int64_t n : alone_stats.spec_accepted_at) by_position += n;
  EXPECT_EQ(by_position, alone_stats.spec_accepted);
  // A later proposal is accepted only if every earlier one was.
  for (size_t i = 1; i < alone_stats.spec_accepted_at.size(); ++i) {
    EXPECT_LE(alone_stats.spec_accepted_at[i], alone_stats.spec_accepted_at[i - 1]);
  }
  // Accepted drafts are steps saved: fewer engine steps than tokens.
  EXPECT_LT(alone_stats.steps, plain.size() * 48);
}

TEST_F(Speculative, SeededSamplingIsUnchanged) {
  // Each emitted token is drawn from the target's own distribution with the
  // request's RNG, as in plain decoding; a proposal only decides whether the
  // next row was computed on the right prefix. So the samples are the same
  // draws, which is a stronger check than comparing frequencies.
  const std::vector<Request> requests = twenty_prompts(true);
  const std::vector<Output> plain = run(requests, false, 8);
  EngineStats stats;
  const std::vector<Output> spec = run(requests, true, 8, &stats);
  for (size_t i = 0; i < requests.size(); ++i) EXPECT_EQ(spec[i].tokens, plain[i].tokens) << "prompt " << i;
  EXPECT_GT(stats.spec_accepted, 0);
}

TEST_F(Speculative, RepetitiveTextSavesSteps) {
  // stories260K's long greedy continuations fall into repeating sentences;
  // that is where lookup proposals are right.
  Request r = greedy(m_.tokenizer->encode("Lily and Ben", true, false), 300);
  EngineStats stats;
  const std::vector<Output> plain = run({r}, false, 1);
  const std::vector<Output> spec = run({r}, true, 1, &stats);
  EXPECT_EQ(spec[0].tokens, plain[0].tokens);
  ASSERT_GT(stats.spec_proposed, 0);
  const double rate = static_cast<double>(stats.spec_accepted) / static_cast<double>(stats.spec_proposed);
  std::cout << "[ INFO     ] acceptance " << rate << " (" << stats.spec_accepted << "/" << stats.spec_proposed
            << "), steps " << stats.steps << " for 300 tokens\n";
  // Measured: 115 of 430 accepted, 185 steps (plain decoding takes 300).
  EXPECT_GT(rate, 0.2);
  EXPECT_LT(stats.steps, 220);
}

// The committed copy model (models/README.md) asked to repeat a story: it
// copies, so lookup proposals taken from the prompt are mostly right. This
// is the workload of the n-gram benchmark (docs/performance.md), checked
// by what it must deliver deterministically (output unchanged, acceptance,
// steps saved), not by time.
TEST(CopyModel, RepeatRequestIsCopiedSoLookupProposalsAreAccepted) {
  const std::string root = PAGODA_SOURCE_DIR;
  Loaded m = load(root + "/models/pagoda-tiny-10m-copy.gguf");
  std::string prompt = pagoda::testing::read_text(root + "/bench/prompts/repeat-story.txt");
  while (!prompt.empty() && prompt.back() == '\n') prompt.pop_back();
  const Request r = greedy(m.tokenizer->encode(prompt, true, true), 128);
  ThreadPool pool(2);
  const auto run = [&](SpeculativeConfig::Mode mode, EngineStats* stats) {
    EngineConfig c;
    c.max_num_seqs = 1;
    c.speculative.mode = mode;
    EngineCore core(*m.model, m.tokenizer.get(), c, pool);
    std::vector<Output> out = run_all(core, {r});
    expect_all_blocks_free(core);
    *stats = core.stats();
    return out.at(0);
  };
  EngineStats plain_stats, spec_stats;
  const Output plain = run(SpeculativeConfig::Mode::None, &plain_stats);
  const Output spec = run(SpeculativeConfig::Mode::Ngram, &spec_stats);
  EXPECT_EQ(spec.tokens, plain.tokens);
  // The answer is the story: its opening sentences come back word for word.
  EXPECT_NE(plain.text.find("Carl loved to ride on his big brother's shoulders"), std::string::npos) << plain.text;
  ASSERT_GT(spec_stats.spec_proposed, 0);
  const double rate = static_cast<double>(spec_stats.spec_accepted) / static_cast<double>(spec_stats.spec_proposed);
  std::cout << "[ INFO     ] acceptance " << rate << " (" << spec_stats.spec_accepted << "/"
            << spec_stats.spec_proposed << "), " << spec_stats.steps << " steps for " << plain.tokens.size()
            << " tokens (plain: " << plain_stats.steps << ")\n";
  // Measured on the committed file: 88 of 111 proposals (79%), 40 steps
  // for 128 tokens (plain decoding: 128). The bounds allow other kernel
  // paths' rounding, not a model that retells instead of copying (the
  // earlier target: 20% accepted).
  EXPECT_GT(rate, 0.6);
  EXPECT_LT(spec_stats.steps, 64);
}

}  // namespace
}  // namespace pagoda::engine::test
