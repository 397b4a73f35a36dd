#include "model/single_sequence.h"

#include "core/error.h"

namespace pagoda::model {
namespace {

kv::KvCacheConfig private_pool(int64_t n_ctx, kv::KvType type, int block_size) {
  kv::KvCacheConfig c;
  c.block_size = block_size;
  c.n_blocks = (n_ctx + block_size - 1) / block_size;
  c.type = type;
  c.prefix_caching = false;
  return c;
}

}  // namespace

SingleSequence::SingleSequence(Model& model, int64_t n_ctx, kv::KvType type, int block_size)
    : model_(model), n_ctx_(n_ctx), cache_(model.kv_shape(), private_pool(n_ctx, type, block_size)) {
  if (n_ctx <= 0) fail("context size must be positive");
  if (!cache_.allocate_slots(blocks_, 0, n_ctx)) fail("internal: private KV pool too small");
}

void SingleSequence::truncate(int64_t n) {
  if (n < 0 || n > size_) fail("truncate: ", n, " is outside [0, ", size_, "]");
  size_ = n;
}

void SingleSequence::forward(std::span<const int32_t> tokens, bool all_logits, ThreadPool& pool,
                             std::vector<float>& logits) {
  const auto n = static_cast<int64_t>(tokens.size());
  if (n == 0) fail("forward: empty batch");
  if (size_ + n > n_ctx_) fail("context is full: ", size_ + n, " tokens do not fit in a context of ", n_ctx_);
  positions_.resize(static_cast<size_t>(n));
  seq_index_.assign(static_cast<size_t>(n), 0);
  logits_rows_.clear();
  for (int64_t i = 0; i < n; ++i) {
    positions_[static_cast<size_t>(i)] = static_cast<int32_t>(size_ + i);
    if (all_logits || i == n - 1) logits_rows_.push_back(static_cast<int32_t>(i));
  }
  const std::span<const int32_t> tables[2] = {blocks_.table, blocks_.sliding_table};
  const Batch batch{tokens, positions_, seq_index_, std::span(tables, 1), logits_rows_, std::span(tables + 1, 1)};
  model_.forward(batch, cache_, pool, logits);
  size_ += n;
}

}  // namespace pagoda::model
