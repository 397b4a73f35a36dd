#pragma once
// Engine settings (the serving flags of `pagoda run/serve/bench`) and the
// statistics it reports.
#include <cstdint>
#include <vector>

#include "core/error.h"
#include "kv/paged_kv_cache.h"

namespace pagoda {
namespace model {
class Model;
}
}  // namespace pagoda

namespace pagoda::engine {

// Speculative decoding: proposals verified in one forward pass. N-gram and
// greedy draft proposals are accepted while they match what the target
// samples (outputs exactly those of plain decoding); sampled draft proposals
// go through the speculative-sampling acceptance rule (outputs distributed
// exactly as the target's).
struct SpeculativeConfig {
  enum class Mode { None, Ngram, Draft } mode = Mode::None;
  int num_tokens = 4;  // proposals per step (the most, when adaptive)
  // Each sequence's proposal count follows its acceptance: all accepted ->
  // one more, none -> half, else one more than were accepted.
  bool adaptive = true;
  int ngram_min = 1;
  int ngram_max = 4;
  model::Model* draft_model = nullptr;  // Mode::Draft; not owned, same vocabulary as the target
};

struct EngineConfig {
  int64_t max_model_len = 0;           // 0: the model's training context
  int block_size = 16;
  int64_t kv_cache_bytes = 0;          // 0: room for max_num_seqs sequences of 1024 tokens, at most the context
  kv::KvType kv_type = kv::KvType::F16;
  bool prefix_caching = true;
  int64_t max_num_batched_tokens = 512;
  int max_num_seqs = 64;
  int64_t max_waiting = 1024;          // submit fails with OverloadedError beyond this
  int threads = 0;                     // Engine only; 0: all hardware threads
  SpeculativeConfig speculative;
};

struct EngineStats {
  int64_t running = 0;
  int64_t waiting = 0;
  kv::KvStats kv;
  int64_t preemptions = 0;
  int64_t window_released_blocks = 0;   // blocks freed behind the sliding layers' window
  int64_t prompt_tokens_computed = 0;   // prompt tokens run through the model (cache hits excluded)
  int64_t generation_tokens = 0;
  int64_t requests_finished = 0;
  int64_t steps = 0;
  int64_t max_running = 0;              // most sequences running at once so far
  // Steps that only decoded (one token per sequence, no prompt chunk): their
  // tokens and time give the aggregate decode rate, as llama-batched-bench's
  // S_TG separates generation from prompt processing.
  int64_t decode_only_steps = 0;
  int64_t decode_only_tokens = 0;
  double decode_only_seconds = 0;
  // Speculative decoding.
  int64_t spec_proposed = 0;            // proposed tokens that were verified
  int64_t spec_accepted = 0;
  int64_t spec_verify_steps = 0;        // sequence-steps that verified proposals
  std::vector<int64_t> spec_accepted_at;  // accepted count by position (0 = first proposal)
};

// The waiting queue is full: the caller should retry later (HTTP 503/429).
class OverloadedError : public Error {
 public:
  using Error::Error;
};

}  // namespace pagoda::engine
