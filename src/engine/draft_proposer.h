#pragma once
// Draft-model speculation: a small model with the target's vocabulary
// guesses each decoding sequence's next k tokens, k batched forward passes
// over all of them per step. The draft keeps its own paged KV cache; each
// sequence's draft state remembers which tokens that cache holds, so after
// verification only the rejected tail is recomputed.
//
// Greedy requests get the draft's argmax (verification then compares, and
// the output is exactly plain greedy decoding). Sampled requests get draws
// from the draft's own distribution q under the request's sampling settings,
// recorded in seq.draft_q for the acceptance rule (sampling/speculative.h).
#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "engine/engine_config.h"
#include "engine/sequence.h"
#include "kv/paged_kv_cache.h"
#include "model/model.h"

namespace pagoda::engine {

// pagoda::Error unless the two models have the same tokens in the same order.
void check_same_vocabulary(const model::Model& target, const model::Model& draft);

class DraftProposer {
 public:
  // Sizes the draft's cache to as many tokens as the target's holds.
  DraftProposer(model::Model& draft, int block_size, int64_t n_blocks, kv::KvType kv_type);

  // Fills seq->draft (and seq->draft_q) with up to k[i] tokens for seqs[i].
  void propose(std::span<Sequence* const> seqs, std::span<const int64_t> k, ThreadPool& pool);
  // Frees the sequence's draft cache blocks.
  void release(Sequence& seq);
  const kv::PagedKvCache& kv_cache() const { return kv_; }

 private:
  model::Model& model_;
  kv::PagedKvCache kv_;
  std::vector<int32_t> tokens_, positions_, seq_index_, logits_rows_;
  model::BatchTables tables_;
  std::vector<float> logits_;
};

}  // namespace pagoda::engine
