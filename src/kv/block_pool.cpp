#include "kv/block_pool.h"

#include "core/error.h"

namespace pagoda::kv {

BlockPool::BlockPool(int64_t n_blocks) {
  if (n_blocks <= 0) fail("the KV cache needs at least one block");
  const auto n = static_cast<size_t>(n_blocks);
  ref_.assign(n, 0);
  prev_.assign(n, kNone);
  next_.assign(n, kNone);
  hash_.assign(n, 0);
  has_hash_.assign(n, 0);
  index_.reserve(n);
  for (BlockId b = 0; b < static_cast<BlockId>(n_blocks); ++b) push_free_tail(b);
}

std::optional<BlockHash> BlockPool::hash_of(BlockId b) const {
  if (!has_hash_[static_cast<size_t>(b)]) return std::nullopt;
  return hash_[static_cast<size_t>(b)];
}

void BlockPool::push_free_tail(BlockId b) {
  prev_[static_cast<size_t>(b)] = tail_;
  next_[static_cast<size_t>(b)] = kNone;
  if (tail_ != kNone) next_[static_cast<size_t>(tail_)] = b;
  else head_ = b;
  tail_ = b;
  ++free_count_;
}

void BlockPool::remove_free(BlockId b) {
  const BlockId p = prev_[static_cast<size_t>(b)], n = next_[static_cast<size_t>(b)];
  if (p != kNone) next_[static_cast<size_t>(p)] = n;
  else head_ = n;
  if (n != kNone) prev_[static_cast<size_t>(n)] = p;
  else tail_ = p;
  prev_[static_cast<size_t>(b)] = next_[static_cast<size_t>(b)] = kNone;
  --free_count_;
}

bool BlockPool::allocate(int64_t n, std::vector<BlockId>& out) {
  if (n > free_count_) return false;
  for (int64_t i = 0; i < n; ++i) {
    const BlockId b = head_;
    remove_free(b);
    if (has_hash_[static_cast<size_t>(b)]) {
      index_.erase(hash_[static_cast<size_t>(b)]);
      has_hash_[static_cast<size_t>(b)] = 0;
      ++evictions_;
    }
    ref_[static_cast<size_t>(b)] = 1;
    out.push_back(b);
  }
  return true;
}

void BlockPool::ref(BlockId b) {
  if (ref_[static_cast<size_t>(b)]++ == 0) remove_free(b);
}

void BlockPool::unref(BlockId b) {
  int& r = ref_[static_cast<size_t>(b)];
  if (r <= 0) fail("internal: KV block ", b, " freed more often than taken");
  if (--r == 0) push_free_tail(b);
}

std::optional<BlockId> BlockPool::lookup(BlockHash h) const {
  const auto it = index_.find(h);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

void BlockPool::register_hash(BlockId b, BlockHash h) {
  if (has_hash_[static_cast<size_t>(b)]) return;
  if (!index_.emplace(h, b).second) return;  // an identical block is already cached
  hash_[static_cast<size_t>(b)] = h;
  has_hash_[static_cast<size_t>(b)] = 1;
}

}  // namespace pagoda::kv
