#pragma once
// Shared set-up of the engine tests: models, and running a set of requests
// through an EngineCore to the end.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "engine/engine_core.h"
#include "model/model.h"
#include "shared_data.h"
#include "subprocess.h"
#include "tokenizer/tokenizer.h"

namespace pagoda::engine::test {

struct Loaded {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
};

inline Loaded load(const std::string& path) {
  Loaded l;
  l.model = model::Model::load(path);
  l.tokenizer = tokenizer::make_tokenizer(tokenizer::load_vocab(l.model->file()));
  return l;
}

// A random model made by `pagoda mkmodel` into the test's temp dir.
inline std::string make_random_model(const std::string& name, const std::string& shape_flags) {
  const auto path = (pagoda::testing::test_temp_dir() / name).string();
  const std::string cmd = pagoda::testing::pagoda_binary().string() + " mkmodel --arch llama --seed 11 -o " +
                          pagoda::testing::shell_quote(path) + " " + shape_flags + " 2>&1";
  const auto r = pagoda::testing::run_command(cmd);
  EXPECT_EQ(r.exit_code, 0) << cmd << "\n" << r.out;
  return path;
}

struct Output {
  std::vector<int32_t> tokens;
  std::string text;
  FinishReason finish = FinishReason::None;
  std::string stop_reason;
  int64_t cached_prompt_tokens = -1;
  std::vector<TokenLogprob> logprobs;
  std::vector<std::vector<TokenLogprob>> top_logprobs;
};

// Everything a stream has delivered so far, per sample index.
inline void drain(RequestStream& s, std::vector<Output>& out) {
  bool timed_out = false;
  while (auto d = s.next_for(std::chrono::milliseconds(0), &timed_out)) {
    if (out.size() <= static_cast<size_t>(d->index)) out.resize(static_cast<size_t>(d->index) + 1);
    Output& o = out[static_cast<size_t>(d->index)];
    o.tokens.insert(o.tokens.end(), d->token_ids.begin(), d->token_ids.end());
    o.text += d->text;
    o.logprobs.insert(o.logprobs.end(), d->logprobs.begin(), d->logprobs.end());
    o.top_logprobs.insert(o.top_logprobs.end(), d->top_logprobs.begin(), d->top_logprobs.end());
    if (o.cached_prompt_tokens < 0 && (d->prompt_tokens > 0)) o.cached_prompt_tokens = d->cached_prompt_tokens;
    if (d->finish != FinishReason::None) {
      o.finish = d->finish;
      o.stop_reason = d->stop_reason;
    }
  }
}

// Steps the core until every request has finished; returns sample 0 of each.
inline std::vector<Output> run_all(EngineCore& core, const std::vector<Request>& requests) {
  std::vector<std::shared_ptr<RequestStream>> streams;
  for (const Request& r : requests) streams.push_back(core.add(r));
  std::vector<std::vector<Output>> outs(requests.size());
  for (int guard = 0; core.has_work(); ++guard) {
    core.step();
    if (guard > 100000) ADD_FAILURE() << "engine did not finish";
  }
  std::vector<Output> result;
  for (size_t i = 0; i < streams.size(); ++i) {
    drain(*streams[i], outs[i]);
    EXPECT_TRUE(streams[i]->finished());
    result.push_back(outs[i].empty() ? Output{} : outs[i][0]);
  }
  return result;
}

inline Request greedy(std::vector<int32_t> prompt, int64_t max_tokens) {
  Request r;
  r.prompt = std::move(prompt);
  r.sampling.temperature = 0.0f;
  r.max_tokens = max_tokens;
  r.ignore_eos = true;
  return r;
}

// Tests on stories260K: skipped without the shared data, failed under CI.
class StoriesEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto path = pagoda::testing::shared_dir() / "models/stories260K.gguf";
    if (!std::filesystem::exists(path)) {
      if (pagoda::testing::running_in_ci()) FAIL() << "missing shared data: " << path;
      GTEST_SKIP() << "missing shared data: " << path;
    }
    m_ = load(path.string());
  }
  Loaded m_;
  ThreadPool pool_{2};
};

// Every block is free (cached or not) once all requests have ended.
inline void expect_all_blocks_free(const EngineCore& core) {
  const kv::KvStats s = core.kv_cache().stats();
  EXPECT_EQ(s.free_blocks, s.n_blocks);
  EXPECT_EQ(s.sliding_free_blocks, s.sliding_blocks) << "sliding group";
  if (const kv::PagedKvCache* draft = core.draft_kv_cache()) {
    EXPECT_EQ(draft->stats().free_blocks, draft->stats().n_blocks) << "draft cache";
  }
}

}  // namespace pagoda::engine::test
