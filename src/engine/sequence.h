#pragma once
// One sample being generated: its tokens (prompt then output), how many of
// them have keys/values in the cache, its KV blocks, sampler and text. A
// request with n samples has n sequences sharing one RequestState.
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/output_text.h"
#include "engine/request.h"
#include "engine/request_stream.h"
#include "kv/paged_kv_cache.h"
#include "sampling/sampler.h"

namespace pagoda::engine {

struct RequestState {
  Request request;
  std::shared_ptr<RequestStream> stream;
  bool cancelled = false;
  bool forked = false;  // the n-1 extra samples exist
};

enum class SeqStatus { Waiting, Running, Finished };

// What the draft model's cache holds for a sequence (draft_proposer.h).
struct DraftState {
  kv::SequenceBlocks blocks;
  std::vector<int32_t> computed;              // tokens with keys/values in the draft's cache, in order
  std::unique_ptr<sampling::Sampler> sampler;  // draws sampled proposals; null for greedy requests
};

struct Sequence {
  Sequence(std::shared_ptr<RequestState> state, int index, uint64_t arrival, const tokenizer::Tokenizer* tokenizer);

  std::shared_ptr<RequestState> req;
  int index = 0;
  uint64_t arrival = 0;  // admission order: FCFS, and "newest" for preemption
  std::vector<int32_t> tokens;
  int64_t num_prompt = 0;
  int64_t num_computed = 0;        // leading tokens whose keys/values are cached
  int64_t num_cached_prompt = 0;   // prompt tokens found in the prefix cache
  kv::SequenceBlocks blocks;
  sampling::Sampler sampler;
  OutputText text;
  SeqStatus status = SeqStatus::Waiting;
  bool sent_first = false;
  std::vector<int32_t> draft;      // proposed next tokens, verified in the next step
  // The draft model's distribution for each proposal when it sampled them
  // (empty for greedy and n-gram proposals, which verify by comparison).
  std::vector<std::vector<sampling::Candidate>> draft_q;
  DraftState draft_state;
  int64_t spec_k = 0;  // proposals to ask for next (adaptive speculation); 0: the configured K
  std::chrono::steady_clock::time_point arrived = std::chrono::steady_clock::now();
  double queue_seconds = -1;  // set when first scheduled

  int64_t num_generated() const { return static_cast<int64_t>(tokens.size()) - num_prompt; }
  int64_t num_uncomputed() const { return static_cast<int64_t>(tokens.size()) - num_computed; }
  int priority() const { return req->request.priority; }
  // The prompt figures go with a sample's first delta, whatever ends it.
  void stamp_first_delta(Delta& d);
};

}  // namespace pagoda::engine
