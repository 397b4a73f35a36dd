// Continuous batching gives each request the output it would get alone:
// prompts of different lengths, chunked prefill mixed with decode, a small
// KV pool that forces preemption, and the prefix cache.
#include <algorithm>
#include <random>

#include "engine_test_util.h"
#include "model/single_sequence.h"

namespace pagoda::engine::test {
namespace {

std::vector<std::vector<int32_t>> random_prompts(int count, int64_t n_vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int32_t>> prompts;
  for (int i = 0; i < count; ++i) {
    std::vector<int32_t> p = {1};
    const int len = 2 + static_cast<int>(rng() % 45);
    for (int j = 0; j < len; ++j) p.push_back(static_cast<int32_t>(2 + rng() % static_cast<uint64_t>(n_vocab - 2)));
    prompts.push_back(p);
  }
  return prompts;
}

std::vector<std::vector<int32_t>> story_prompts(const tokenizer::Tokenizer& tok) {
  const char* texts[] = {"Once upon a time", "Lily and Ben went to the park", "The dog", "One day, a little girl",
                         "Tom had a big red ball", "The sun was hot", "Mom said", "There was a cat who liked to sleep",
                         "A bird sat on a tree", "Sam was sad because", "The boat", "Timmy wanted to play outside",
                         "In a small house there lived an old man", "Sue found a shiny stone", "The car went fast",
                         "Once there was a happy frog who loved to jump in the pond every day"};
  std::vector<std::vector<int32_t>> prompts;
  for (const char* t : texts) prompts.push_back(tok.encode(t, true, false));
  return prompts;
}

// Runs each prompt alone (a fresh engine each) and all of them together,
// and compares token for token.
void expect_batch_invariant(model::Model& model, const tokenizer::Tokenizer* tok,
                            const std::vector<std::vector<int32_t>>& prompts, int64_t max_tokens, EngineConfig together) {
  ThreadPool pool(2);
  std::vector<Request> requests;
  for (const auto& p : prompts) requests.push_back(greedy(p, max_tokens));

  EngineCore batched(model, tok, together, pool);
  const std::vector<Output> got = run_all(batched, requests);
  const EngineStats stats = batched.stats();
  EXPECT_GE(stats.max_running, 8) << "the requests should have run together";
  expect_all_blocks_free(batched);

  EngineConfig alone_config;
  alone_config.kv_type = together.kv_type;
  alone_config.max_num_seqs = 1;
  alone_config.max_num_batched_tokens = 4096;
  for (size_t i = 0; i < requests.size(); ++i) {
    EngineCore alone(model, tok, alone_config, pool);
    const std::vector<Output> want = run_all(alone, {requests[i]});
    EXPECT_EQ(got[i].tokens, want[0].tokens) << "prompt " << i;
    EXPECT_EQ(got[i].tokens.size(), static_cast<size_t>(max_tokens));
  }
}

EngineConfig mixed_steps_config() {
  EngineConfig c;
  c.max_num_seqs = 16;
  c.max_num_batched_tokens = 40;  // prompts are chunked and share steps with decode tokens
  c.kv_type = kv::KvType::F16;
  return c;
}

TEST(Batching, SixteenStoryPromptsTogetherEqualEachAlone) {
  PAGODA_REQUIRE_SHARED(path, "models/stories260K.gguf");
  Loaded m = load(path.string());
  expect_batch_invariant(*m.model, m.tokenizer.get(), story_prompts(*m.tokenizer), 24, mixed_steps_config());
}

// TinyLlama-1.1B's layer shape (n_embd 2048, n_ff 5632, 32 query / 4 kv
// heads of 64, vocab 32000) in Q4_0, so the packed kernels and GQA path of
// the benchmarks are the ones checked; 2 layers instead of 22 keep it short.
TEST(Batching, SixteenPromptsOnATinyLlamaShapeModelTogetherEqualEachAlone) {
  const std::string path = make_random_model(
      "tinyllama-shape.gguf",
      "--n-embd 2048 --n-layer 2 --n-head 32 --n-head-kv 4 --n-ff 5632 --vocab-size 32000 --type q4_0");
  Loaded m = load(path);
  expect_batch_invariant(*m.model, nullptr, random_prompts(16, 32000, 5), 6, mixed_steps_config());
}

TEST(Batching, PreemptionWithASmallPoolGivesTheSameOutputs) {
  PAGODA_REQUIRE_SHARED(path, "models/stories260K.gguf");
  Loaded m = load(path.string());
  ThreadPool pool(2);
  std::vector<Request> requests;
  for (const auto& p : story_prompts(*m.tokenizer)) requests.push_back(greedy(p, 40));

  EngineConfig large = mixed_steps_config();
  EngineCore roomy(*m.model, m.tokenizer.get(), large, pool);
  const std::vector<Output> want = run_all(roomy, requests);
  EXPECT_EQ(roomy.stats().preemptions, 0);

  // 16 sequences of up to ~60 tokens need ~64 blocks of 16; give 12.
  EngineConfig small = large;
  small.kv_cache_bytes = 12 * 16 * 2 * static_cast<int64_t>(kv::kv_row_bytes(small.kv_type, m.model->hparams().kv_dim())) *
                         m.model->hparams().n_layer;
  EngineCore tight(*m.model, m.tokenizer.get(), small, pool);
  ASSERT_EQ(tight.kv_cache().n_blocks(), 12);
  const std::vector<Output> got = run_all(tight, requests);
  EXPECT_GT(tight.stats().preemptions, 0);
  for (size_t i = 0; i < requests.size(); ++i) {
    EXPECT_EQ(got[i].tokens, want[i].tokens) << "prompt " << i;
    EXPECT_EQ(got[i].finish, FinishReason::Length);
  }
  expect_all_blocks_free(tight);
}

TEST(Batching, RepeatedPromptHitsThePrefixCacheAndSkipsItsBlocks) {
  PAGODA_REQUIRE_SHARED(path, "models/stories260K.gguf");
  Loaded m = load(path.string());
  ThreadPool pool(2);
  EngineConfig c;
  c.kv_type = kv::KvType::F32;
  EngineCore core(*m.model, m.tokenizer.get(), c, pool);
  const std::vector<int32_t> prompt = m.tokenizer->encode(
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun with her dog, "
      "and every day they went to the park to run and jump and play.", true, false);
  ASSERT_GT(prompt.size(), 40u);
  const Request r = greedy(prompt, 20);

  const Output first = run_all(core, {r})[0];
  const EngineStats after_first = core.stats();
  EXPECT_EQ(first.cached_prompt_tokens, 0);
  EXPECT_EQ(after_first.prompt_tokens_computed, static_cast<int64_t>(prompt.size()));

  const Output second = run_all(core, {r})[0];
  const EngineStats after_second = core.stats();
  const int64_t bs = core.kv_cache().block_size();
  const int64_t expect_hit = (static_cast<int64_t>(prompt.size()) - 1) / bs * bs;
  EXPECT_EQ(second.tokens, first.tokens);
  EXPECT_EQ(second.cached_prompt_tokens, expect_hit);
  // Only the uncached tail of the prompt ran through the model.
  EXPECT_EQ(after_second.prompt_tokens_computed - after_first.prompt_tokens_computed,
            static_cast<int64_t>(prompt.size()) - expect_hit);
  EXPECT_EQ(after_second.kv.prefix_hit_tokens, expect_hit);
  EXPECT_GT(after_second.kv.hit_rate(), 0.4);
  EXPECT_GT(after_second.kv.cached_blocks, 0);
  expect_all_blocks_free(core);
}

TEST(Batching, DecodersKeepStreamingWhileALongPromptIsChunked) {
  PAGODA_REQUIRE_SHARED(path, "models/stories260K.gguf");
  Loaded m = load(path.string());
  ThreadPool pool(1);
  EngineConfig c;
  c.max_num_batched_tokens = 16;
  EngineCore core(*m.model, m.tokenizer.get(), c, pool);
  auto a = core.add(greedy(m.tokenizer->encode("Once upon a time", true, false), 100));
  core.step();  // a's prompt
  std::vector<int32_t> long_prompt = {1};
  for (int i = 0; i < 200; ++i) long_prompt.push_back(300 + i % 100);
  auto b = core.add(greedy(long_prompt, 5));
  std::vector<Output> out_a(1), out_b(1);
  drain(*a, out_a);
  for (int step = 0; step < 13; ++step) {  // 200 tokens at <= 15 per step
    const size_t before = out_a[0].tokens.size();
    core.step();
    drain(*a, out_a);
    drain(*b, out_b);
    EXPECT_EQ(out_a[0].tokens.size(), before + 1) << "step " << step;
  }
  while (core.has_work()) core.step();
  drain(*b, out_b);
  EXPECT_EQ(out_b[0].tokens.size(), 5u);
}

}  // namespace
}  // namespace pagoda::engine::test

namespace pagoda::engine::test {
namespace {

// A small random-weights model whose sliding layers attend to the last 12
// positions; `arch_and_flags` starts with the architecture.
std::string make_windowed_model(const std::string& name, const std::string& arch_and_flags) {
  const auto path = (pagoda::testing::test_temp_dir() / name).string();
  const auto made = pagoda::testing::run_command(
      pagoda::testing::pagoda_binary().string() + " mkmodel --arch " + arch_and_flags +
      " --n-embd 64 --n-head 4 --n-head-kv 2 --n-ff 128 --head-dim 32 --sliding-window 12 --vocab-size 300"
      " --type f32 -o " + pagoda::testing::shell_quote(path) + " 2>&1");
  EXPECT_EQ(made.exit_code, 0) << made.out;
  return path;
}

// Greedy continuations of each prompt alone, in a private cache of 128
// positions that never releases anything.
std::vector<std::vector<int32_t>> greedy_alone(model::Model& model, const std::vector<std::vector<int32_t>>& prompts,
                                               int64_t n_new, ThreadPool& pool) {
  std::vector<std::vector<int32_t>> want;
  for (const auto& p : prompts) {
    model::SingleSequence seq(model, 128, kv::KvType::F32, 4);
    std::vector<float> logits;
    std::vector<int32_t> next = p, out;
    for (int64_t i = 0; i < n_new; ++i) {
      seq.forward(next, false, pool, logits);
      const auto best = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
      out.push_back(best);
      next = {best};
    }
    want.push_back(out);
  }
  return want;
}

// Two sequences at a time in blocks of 4 F32 positions.
EngineConfig windowed_engine_config() {
  EngineConfig c;
  c.block_size = 4;
  c.kv_type = kv::KvType::F32;
  c.max_num_seqs = 2;
  return c;
}

// The prompts together through the engine, each for want[i].size() greedy
// tokens past any EOS: the same tokens as alone.
void expect_engine_tokens(EngineCore& core, const std::vector<std::vector<int32_t>>& prompts,
                          const std::vector<std::vector<int32_t>>& want) {
  std::vector<Request> requests;
  for (size_t i = 0; i < prompts.size(); ++i) {
    Request r = greedy(prompts[i], static_cast<int64_t>(want[i].size()));
    r.ignore_eos = true;
    requests.push_back(r);
  }
  const std::vector<Output> got = run_all(core, requests);
  for (size_t i = 0; i < prompts.size(); ++i) {
    EXPECT_EQ(got[i].tokens, want[i]) << "prompt " << i;
    EXPECT_EQ(got[i].finish, FinishReason::Length);
  }
}

// A model whose every layer attends to the last 12 positions only: blocks
// behind the window go back to the pool as the sequences advance, so a pool
// of 10 blocks of 4 positions carries two sequences of 70 positions each,
// with the greedy tokens of a private, never-released cache.
TEST(Batching, SlidingWindowModelReleasesBlocksBehindTheWindow) {
  Loaded m = load(make_windowed_model("swa.gguf", "gemma3 --n-layer 2 --swa-pattern 0 --seed 3"));
  ASSERT_EQ(m.model->kv_shape().window, 12);
  ASSERT_EQ(m.model->kv_shape().num_sliding_layers(), 2);
  ThreadPool pool(2);
  const std::vector<std::vector<int32_t>> prompts = {{1, 40, 41, 42, 43, 44}, {1, 90, 91, 92, 93}};
  constexpr int64_t kNew = 64;

  const std::vector<std::vector<int32_t>> want = greedy_alone(*m.model, prompts, kNew, pool);

  EngineConfig c = windowed_engine_config();
  c.kv_cache_bytes = 10 * 4 * 2 * static_cast<int64_t>(kv::kv_row_bytes(c.kv_type, m.model->hparams().kv_dim())) *
                     m.model->hparams().n_layer;
  EngineCore core(*m.model, m.tokenizer.get(), c, pool);
  ASSERT_EQ(core.kv_cache().n_blocks(), 10);
  expect_engine_tokens(core, prompts, want);
  EXPECT_GE(core.stats().window_released_blocks, 2 * (70 - 16) / 4) << "blocks behind the window should be released";
  EXPECT_EQ(core.stats().preemptions, 0);
  expect_all_blocks_free(core);
}

// Gemma 2 shape: sliding and full-attention layers alternate. The sliding
// layers' blocks live in their own group that holds only the windows, so
// two sequences of 78 and 69 positions run with 12 sliding blocks (38 would
// be needed without freeing); the full layers keep every position. Greedy
// tokens equal those of a private cache that never releases anything.
TEST(Batching, HybridModelFreesTheSlidingLayersBlocksOnly) {
  Loaded m = load(make_windowed_model("hybrid.gguf", "gemma2 --n-layer 4 --swa-pattern 2 --seed 5"));
  ASSERT_TRUE(m.model->kv_shape().hybrid());
  ThreadPool pool(2);
  const std::vector<std::vector<int32_t>> prompts = {{1, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52},
                                                      {1, 90, 91, 92, 93}};
  constexpr int64_t kNew = 64;

  const std::vector<std::vector<int32_t>> want = greedy_alone(*m.model, prompts, kNew, pool);

  EngineConfig c = windowed_engine_config();
  c.max_num_batched_tokens = 8;  // the first prompt runs in two chunks
  // Per sequence ceil(11 / 4) + 2 window blocks, plus the step's 8 / 4:
  // 12 sliding blocks; the rest of the budget goes to the full layers.
  const auto layer_block = 4 * 2 * static_cast<int64_t>(kv::kv_row_bytes(c.kv_type, m.model->hparams().kv_dim()));
  c.kv_cache_bytes = layer_block * (2 * 40 + 2 * 12);
  EngineCore core(*m.model, m.tokenizer.get(), c, pool);
  ASSERT_TRUE(core.kv_cache().hybrid());
  ASSERT_EQ(core.kv_cache().n_blocks(), 40);
  ASSERT_EQ(core.kv_cache().n_sliding_blocks(), 12);
  EXPECT_EQ(static_cast<int64_t>(core.kv_cache().bytes()), c.kv_cache_bytes);
  expect_engine_tokens(core, prompts, want);
  const int64_t positions = static_cast<int64_t>(prompts[0].size() + prompts[1].size()) + 2 * kNew;
  EXPECT_GE(core.stats().window_released_blocks, (positions - 2 * 16) / 4) << "sliding blocks behind the window";
  EXPECT_EQ(core.stats().preemptions, 0);
  expect_all_blocks_free(core);

  // A 30-token prompt twice: the second time its first 28 positions are a
  // prefix hit in both groups (the sliding group needs only the blocks
  // inside the window of position 28, its earlier ones may be evicted), and
  // the tokens are the same as computed cold.
  std::vector<int32_t> long_prompt;
  for (int32_t t = 0; t < 30; ++t) long_prompt.push_back(100 + (t * 7) % 150);
  Request r = greedy(long_prompt, 6);
  r.ignore_eos = true;
  const std::vector<Output> cold = run_all(core, {r});
  const int64_t hits_before = core.stats().kv.prefix_hit_tokens;
  const std::vector<Output> warm = run_all(core, {r});
  EXPECT_EQ(core.stats().kv.prefix_hit_tokens - hits_before, 28);
  EXPECT_EQ(warm[0].tokens, cold[0].tokens);
  expect_all_blocks_free(core);
}

}  // namespace
}  // namespace pagoda::engine::test
