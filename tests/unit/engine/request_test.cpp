// The request-level behaviour of the engine: stops, limits, n > 1 samples,
// logprobs, priorities, validation, overload and cancellation.
#include <thread>

#include "engine/engine.h"
#include "engine_test_util.h"

namespace pagoda::engine::test {
namespace {

class EngineRequests : public StoriesEngineTest {
 protected:
  std::vector<int32_t> encode(const std::string& s) { return m_.tokenizer->encode(s, true, false); }
};

TEST_F(EngineRequests, StopStringEndsTheTextBeforeIt) {
  EngineCore core(*m_.model, m_.tokenizer.get(), {}, pool_);
  const Output plain = run_all(core, {greedy(encode("Once upon a time"), 60)})[0];
  ASSERT_GT(plain.text.size(), 40u);
  // A stop string from the middle of the greedy text (it spans tokens).
  const std::string stop = plain.text.substr(plain.text.size() / 2, 6);
  const size_t at = plain.text.find(stop);
  Request r = greedy(encode("Once upon a time"), 60);
  r.stop = {"never appears", stop};
  const Output stopped = run_all(core, {r})[0];
  EXPECT_EQ(stopped.finish, FinishReason::Stop);
  EXPECT_EQ(stopped.stop_reason, stop);
  EXPECT_EQ(stopped.text, plain.text.substr(0, at));
  expect_all_blocks_free(core);
}

TEST_F(EngineRequests, StopTokenIdsMaxTokensAndContextLength) {
  EngineConfig c;
  c.max_model_len = 24;
  EngineCore core(*m_.model, m_.tokenizer.get(), c, pool_);
  const std::vector<int32_t> prompt = encode("Once upon a time");
  const Output plain = run_all(core, {greedy(prompt, 5)})[0];
  EXPECT_EQ(plain.finish, FinishReason::Length);
  ASSERT_EQ(plain.tokens.size(), 5u);

  Request r = greedy(prompt, 5);
  r.stop_token_ids = {plain.tokens[2]};
  const Output stopped = run_all(core, {r})[0];
  EXPECT_EQ(stopped.finish, FinishReason::Stop);
  EXPECT_EQ(stopped.tokens.size(), 3u);
  EXPECT_EQ(stopped.stop_reason, std::to_string(plain.tokens[2]));

  const Output until_full = run_all(core, {greedy(prompt, -1)})[0];
  EXPECT_EQ(until_full.finish, FinishReason::Length);
  EXPECT_EQ(prompt.size() + until_full.tokens.size(), 24u);
}

TEST_F(EngineRequests, EosEndsUnlessIgnoredAndMinTokensDelaysIt) {
  // stories260K's stories end with BOS, not EOS, so a logit bias makes EOS
  // the likeliest token.
  EngineCore core(*m_.model, m_.tokenizer.get(), {}, pool_);
  const int32_t eos = m_.tokenizer->vocab().eos;
  Request r = greedy(encode("Once upon a time"), 20);
  r.ignore_eos = false;
  r.logit_bias = {{eos, 100.0f}};
  const Output at_once = run_all(core, {r})[0];
  EXPECT_EQ(at_once.finish, FinishReason::Stop);
  EXPECT_EQ(at_once.tokens, std::vector<int32_t>{eos});
  EXPECT_EQ(at_once.stop_reason, std::to_string(eos));
  EXPECT_EQ(at_once.text, "");

  r.min_tokens = 5;
  const Output later = run_all(core, {r})[0];
  EXPECT_EQ(later.finish, FinishReason::Stop);
  ASSERT_EQ(later.tokens.size(), 6u);
  for (size_t i = 0; i < 5; ++i) EXPECT_NE(later.tokens[i], eos) << i;

  r.min_tokens = 0;
  r.ignore_eos = true;
  r.max_tokens = 4;
  const Output ignored = run_all(core, {r})[0];
  EXPECT_EQ(ignored.finish, FinishReason::Length);
  EXPECT_EQ(ignored.tokens, std::vector<int32_t>(4, eos));
}

TEST_F(EngineRequests, NSamplesShareThePromptBlocks) {
  EngineConfig c;
  c.kv_type = kv::KvType::F32;
  EngineCore core(*m_.model, m_.tokenizer.get(), c, pool_);
  const std::vector<int32_t> prompt = encode("Once upon a time, there was a little girl named Lily who");
  const Output single = run_all(core, {greedy(prompt, 12)})[0];

  Request r = greedy(prompt, 12);
  r.n = 4;
  auto stream = core.add(r);
  while (core.has_work()) core.step();
  std::vector<Output> samples;
  drain(*stream, samples);
  ASSERT_EQ(samples.size(), 4u);
  for (const Output& s : samples) EXPECT_EQ(s.tokens, single.tokens);  // greedy: all alike
  EXPECT_GT(core.stats().kv.cow_copies, 0);  // the shared partial block was copied on write
  expect_all_blocks_free(core);

  // Sampled: each sample has its own random stream; a seed makes it repeatable.
  Request s = r;
  s.sampling.temperature = 1.0f;
  s.sampling.top_k = 0;
  s.sampling.top_p = 1.0f;
  s.sampling.min_p = 0.0f;
  s.sampling.seed = 42;
  auto run_sampled = [&] {
    auto st = core.add(s);
    while (core.has_work()) core.step();
    std::vector<Output> out;
    drain(*st, out);
    return out;
  };
  const std::vector<Output> a = run_sampled(), b = run_sampled();
  ASSERT_EQ(a.size(), 4u);
  bool any_differ = false;
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(a[i].tokens, b[i].tokens);
    any_differ |= a[i].tokens != a[0].tokens;
  }
  EXPECT_TRUE(any_differ);
  expect_all_blocks_free(core);
}

TEST_F(EngineRequests, LogprobsOfTheModelDistribution) {
  EngineCore core(*m_.model, m_.tokenizer.get(), {}, pool_);
  Request r = greedy(encode("Once upon a time"), 6);
  r.logprobs = 3;
  const Output o = run_all(core, {r})[0];
  ASSERT_EQ(o.logprobs.size(), 6u);
  ASSERT_EQ(o.top_logprobs.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(o.logprobs[i].id, o.tokens[i]);
    EXPECT_LE(o.logprobs[i].logprob, 0.0f);
    ASSERT_EQ(o.top_logprobs[i].size(), 3u);
    EXPECT_EQ(o.top_logprobs[i][0].id, o.tokens[i]);  // greedy picks the most likely
    EXPECT_FLOAT_EQ(o.top_logprobs[i][0].logprob, o.logprobs[i].logprob);
    EXPECT_GE(o.top_logprobs[i][0].logprob, o.top_logprobs[i][1].logprob);
  }
}

TEST_F(EngineRequests, LowerPriorityValueRunsFirst) {
  EngineConfig c;
  c.max_num_seqs = 1;
  EngineCore core(*m_.model, m_.tokenizer.get(), c, pool_);
  Request late = greedy(encode("The dog"), 3);
  late.priority = 5;
  Request urgent = greedy(encode("The cat"), 3);
  urgent.priority = -1;
  auto s_late = core.add(late);
  auto s_urgent = core.add(urgent);
  std::vector<Output> out_late, out_urgent;
  while (out_late.empty() || out_late[0].finish == FinishReason::None) {
    core.step();
    drain(*s_late, out_late);
    drain(*s_urgent, out_urgent);
    // One seat: the urgent request must be done before the other starts.
    if (!out_late.empty()) {
      ASSERT_FALSE(out_urgent.empty());
      EXPECT_NE(out_urgent[0].finish, FinishReason::None);
    }
  }
  EXPECT_FALSE(core.has_work());
}

TEST_F(EngineRequests, BadRequestsAndOverloadGiveClearErrors) {
  EngineConfig c;
  c.max_waiting = 2;
  c.max_model_len = 64;
  EngineCore core(*m_.model, m_.tokenizer.get(), c, pool_);
  const auto message = [&](Request r) {
    try {
      core.add(std::move(r));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(message(greedy({}, 5)).find("empty"), std::string::npos);
  EXPECT_NE(message(greedy({1, 99999}, 5)).find("outside the vocabulary"), std::string::npos);
  EXPECT_NE(message(greedy(std::vector<int32_t>(64, 5), 5)).find("context length"), std::string::npos);
  Request bad_n = greedy({1, 5}, 5);
  bad_n.n = 0;
  EXPECT_NE(message(bad_n).find("n must be"), std::string::npos);
  Request bad_temp = greedy({1, 5}, 5);
  bad_temp.sampling.temperature = -1;
  EXPECT_NE(message(bad_temp).find("temperature"), std::string::npos);

  core.add(greedy({1, 5}, 5));
  core.add(greedy({1, 6}, 5));
  EXPECT_THROW(core.add(greedy({1, 7}, 5)), OverloadedError);
  while (core.has_work()) core.step();
  EXPECT_NO_THROW(core.add(greedy({1, 7}, 5)));
  while (core.has_work()) core.step();
}

TEST_F(EngineRequests, CancelMidGenerationReturnsEveryBlock) {
  EngineCore core(*m_.model, m_.tokenizer.get(), {}, pool_);
  Request r = greedy(encode("Once upon a time, in a big forest, there lived a"), 200);
  r.id = "victim";
  Request n3 = r;
  n3.id = "three";
  n3.n = 3;
  auto victim = core.add(r);
  auto three = core.add(n3);
  for (int i = 0; i < 10; ++i) core.step();
  EXPECT_LT(core.kv_cache().stats().free_blocks, core.kv_cache().n_blocks());
  core.cancel("victim");
  core.cancel("three");
  core.cancel("no-such-request");
  core.step();
  EXPECT_FALSE(core.has_work());
  std::vector<Output> out, out3;
  drain(*victim, out);
  drain(*three, out3);
  EXPECT_EQ(out[0].finish, FinishReason::Abort);
  EXPECT_EQ(out[0].tokens.size(), 10u);  // one token per step: the prompt's step, then 9 decode steps
  ASSERT_EQ(out3.size(), 3u);
  for (const Output& o : out3) EXPECT_EQ(o.finish, FinishReason::Abort);
  EXPECT_TRUE(victim->finished());
  EXPECT_TRUE(three->finished());
  expect_all_blocks_free(core);
}

TEST_F(EngineRequests, AbortAllEndsEveryRequestAndFreesItsBlocks) {
  EngineCore core(*m_.model, m_.tokenizer.get(), {}, pool_);
  auto a = core.add(greedy(encode("Once upon a time"), 100));
  Request two = greedy(encode("The dog"), 100);
  two.n = 2;
  auto b = core.add(two);
  auto waiting = core.add(greedy(encode("The cat"), 100));
  for (int i = 0; i < 3; ++i) core.step();
  core.abort_all();
  EXPECT_FALSE(core.has_work());
  for (auto* s : {a.get(), b.get(), waiting.get()}) {
    std::vector<Output> out;
    drain(*s, out);
    for (const Output& o : out) EXPECT_EQ(o.finish, FinishReason::Abort);
    EXPECT_TRUE(s->finished());
  }
  expect_all_blocks_free(core);
}

TEST_F(EngineRequests, ThreadedEngineStreamsAndCancels) {
  EngineConfig c;
  c.threads = 2;
  Engine engine(*m_.model, m_.tokenizer.get(), c);
  Request r = greedy(encode("Once upon a time"), 30);
  auto done = engine.submit(r);
  Request forever = greedy(encode("The dog"), -1);
  forever.id = "forever";
  auto cancelled = engine.submit(forever);
  std::string text;
  int64_t tokens = 0;
  while (auto d = done->next()) {
    text += d->text;
    tokens += static_cast<int64_t>(d->token_ids.size());
  }
  EXPECT_EQ(tokens, 30);
  EXPECT_FALSE(text.empty());
  engine.cancel("forever");
  FinishReason last = FinishReason::None;
  while (auto d = cancelled->next()) last = d->finish;
  EXPECT_EQ(last, FinishReason::Abort);
  EXPECT_THROW(engine.submit(greedy({}, 1)), Error);
  // Stats are published after each step; wait for the one that freed the blocks.
  for (int i = 0; i < 200 && engine.stats().kv.free_blocks != engine.stats().kv.n_blocks; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(engine.stats().kv.free_blocks, engine.stats().kv.n_blocks);
  EXPECT_EQ(engine.stats().requests_finished, 2);
}

}  // namespace
}  // namespace pagoda::engine::test
