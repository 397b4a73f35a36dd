#pragma once
// The engine without threads: requests in, one step at a time, deltas out
// to each request's stream. Engine (engine.h) runs it on a loop thread;
// tests drive it step by step.
//
// A step: schedule (scheduler.h), flatten the chosen chunks into one ragged
// batch, run the model once, then for every sequence whose tokens are now
// all computed sample the next token, detokenize, check the stops and send
// the delta.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/thread_pool.h"
#include "engine/draft_proposer.h"
#include "engine/engine_config.h"
#include "engine/request.h"
#include "engine/request_stream.h"
#include "engine/scheduler.h"
#include "engine/sequence.h"
#include "kv/paged_kv_cache.h"
#include "model/model.h"
#include "tokenizer/tokenizer.h"

namespace pagoda::engine {

class EngineCore {
 public:
  // tokenizer may be null: no text, no stop strings, no EOS (tests).
  EngineCore(model::Model& model, const tokenizer::Tokenizer* tokenizer, const EngineConfig& config,
             ThreadPool& pool);

  // pagoda::Error naming what is wrong with the request.
  void validate(const Request& request) const;
  // Validates and queues (OverloadedError when the waiting queue is full).
  // `stream` may be made by the caller (Engine hands it out before the loop
  // thread adds the request).
  std::shared_ptr<RequestStream> add(Request request, std::shared_ptr<RequestStream> stream = nullptr);
  // Ends the request (finish reason "abort") at the next step; unknown ids
  // are ignored (the request may have just finished).
  void cancel(const std::string& id);

  // Ends every request with finish reason "abort" (after an internal error,
  // so that no client waits forever).
  void abort_all();

  bool has_work() const { return !scheduler_.empty() || !cancelled_.empty(); }  // loop thread only
  void step();

  EngineStats stats() const;
  const EngineConfig& config() const { return config_; }
  int64_t max_model_len() const { return config_.max_model_len; }
  const kv::PagedKvCache& kv_cache() const { return kv_; }
  // The draft model's cache with draft-model speculation, else null.
  const kv::PagedKvCache* draft_kv_cache() const { return drafter_ ? &drafter_->kv_cache() : nullptr; }

 private:
  void apply_cancellations();
  void build_batch(const std::vector<ScheduledChunk>& chunks);
  void propose_drafts();
  std::span<const float> row_of(size_t row) const;
  // Each returns true when the sequence finished (it is gone then).
  bool sample(Sequence& seq, std::span<const float> logits);
  // The logits the sampler sees: logit bias, presence/frequency penalties
  // and the min_tokens ban applied (a view of `logits` when none applies).
  std::span<const float> adjusted_row(const Sequence& seq, std::span<const float> logits);
  void verify(Sequence& seq, size_t first_row, int64_t drafts);
  // verify() for proposals the draft model sampled: the acceptance rule.
  void verify_sampled(Sequence& seq, size_t first_row, int64_t drafts);
  void count_verification(Sequence& seq, int64_t drafts);
  void count_acceptance(Sequence& seq, int64_t index, int64_t drafts);
  std::vector<Sequence*> fork_samples(Sequence& parent);  // the new samples
  bool append_token(Sequence& seq, int32_t token, std::span<const float> logits);
  void finish(Sequence& seq, FinishReason reason, Delta delta);
  void release(Sequence& seq);

  model::Model& model_;
  const tokenizer::Tokenizer* tokenizer_;
  EngineConfig config_;
  ThreadPool& pool_;
  kv::PagedKvCache kv_;
  Scheduler scheduler_;
  std::unique_ptr<DraftProposer> drafter_;  // Mode::Draft

  uint64_t next_arrival_ = 0;
  uint64_t next_id_ = 0;
  std::unordered_map<std::string, std::shared_ptr<RequestState>> requests_;
  std::vector<std::unique_ptr<Sequence>> sequences_;
  std::vector<std::string> cancelled_;

  // Per-step buffers, reused.
  std::vector<int32_t> tokens_, positions_, seq_index_, logits_rows_;
  model::BatchTables tables_;
  // Sequences to sample after the forward: first logits row, draft tokens in the batch.
  struct ToSample {
    Sequence* seq;
    size_t row;
    int64_t drafts;
  };
  std::vector<ToSample> to_sample_;
  std::vector<Sequence*> too_big_;
  std::vector<float> logits_, masked_;
  std::vector<TokenLogprob> top_;
  std::vector<sampling::Candidate> target_dist_, residual_;
  std::vector<Sequence*> proposing_;
  std::vector<int64_t> proposal_sizes_;
  std::unordered_map<int32_t, int> counts_;

  EngineStats counters_;
};

}  // namespace pagoda::engine
