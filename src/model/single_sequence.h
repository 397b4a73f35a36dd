#pragma once
// One sequence with a KV cache of its own, for the callers that run a single
// stream without the engine: perplexity-style scoring, tests, the kernel
// benchmarks. Its blocks come from a private pool sized for n_ctx, so it
// never runs out before the context does.
#include <cstdint>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "kv/paged_kv_cache.h"
#include "model/model.h"

namespace pagoda::model {

class SingleSequence {
 public:
  SingleSequence(Model& model, int64_t n_ctx, kv::KvType type = kv::KvType::F32, int block_size = 16);

  int64_t size() const { return size_; }  // positions computed so far
  int64_t capacity() const { return n_ctx_; }
  size_t kv_bytes() const { return cache_.bytes(); }
  void clear() { size_ = 0; }
  // Forgets positions [n, size()) (their slots are overwritten later).
  void truncate(int64_t n);

  // Appends tokens at positions size(), size()+1, ... and writes logits:
  // [tokens.size() x n_vocab] with all_logits, else the last token's only.
  void forward(std::span<const int32_t> tokens, bool all_logits, ThreadPool& pool, std::vector<float>& logits);

 private:
  Model& model_;
  int64_t n_ctx_;
  kv::PagedKvCache cache_;
  kv::SequenceBlocks blocks_;
  int64_t size_ = 0;
  std::vector<int32_t> positions_, seq_index_, logits_rows_;
};

}  // namespace pagoda::model
