#include "kv/paged_kv_cache.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "kv/prefix_hash.h"

namespace pagoda::kv {

int64_t blocks_for_bytes(int64_t bytes, const KvCacheShape& shape, int block_size, KvType type) {
  const auto per_block = static_cast<int64_t>(2 * kv_row_bytes(type, shape.kv_dim())) * shape.n_layer * block_size;
  return per_block > 0 ? bytes / per_block : 0;
}

PagedKvCache::PagedKvCache(const KvCacheShape& shape, const KvCacheConfig& config)
    : shape_(shape), config_(config), row_bytes_(kv_row_bytes(config.type, shape.kv_dim())), pool_(config.n_blocks) {
  if (config.block_size <= 0 || config.block_size > 1024) fail("block size must be in 1..1024 (it is ", config.block_size, ")");
  const size_t layer_bytes = row_bytes_ * static_cast<size_t>(config.n_blocks) * static_cast<size_t>(config.block_size);
  keys_.reserve(static_cast<size_t>(shape.n_layer));
  values_.reserve(static_cast<size_t>(shape.n_layer));
  for (int l = 0; l < shape.n_layer; ++l) {
    keys_.emplace_back(layer_bytes);
    values_.emplace_back(layer_bytes);
  }
}

size_t PagedKvCache::bytes() const {
  return 2 * static_cast<size_t>(shape_.n_layer) * row_bytes_ * static_cast<size_t>(n_blocks()) *
         static_cast<size_t>(config_.block_size);
}

void PagedKvCache::extend_hashes(std::span<const int32_t> tokens, SequenceBlocks& seq) const {
  const size_t bs = static_cast<size_t>(config_.block_size);
  const size_t full = tokens.size() / bs;
  for (size_t i = seq.hashes.size(); i < full; ++i) {
    const BlockHash parent = i == 0 ? 0 : seq.hashes[i - 1];
    seq.hashes.push_back(hash_block(parent, tokens.subspan(i * bs, bs), config_.salt));
  }
}

int64_t PagedKvCache::find_cached_prefix(std::span<const int32_t> tokens, SequenceBlocks& seq,
                                         std::vector<BlockId>& hit) {
  if (!seq.table.empty()) fail("internal: prefix lookup for a sequence that already has blocks");
  if (!config_.prefix_caching || tokens.empty()) return 0;
  extend_hashes(tokens, seq);
  const size_t max_blocks = (tokens.size() - 1) / static_cast<size_t>(config_.block_size);
  size_t n = 0;
  for (; n < std::min(max_blocks, seq.hashes.size()); ++n) {
    const std::optional<BlockId> b = pool_.lookup(seq.hashes[n]);
    if (!b) break;
    hit.push_back(*b);
  }
  const int64_t cached = static_cast<int64_t>(n) * config_.block_size;
  return cached;
}

bool PagedKvCache::allocate_slots(SequenceBlocks& seq, int64_t num_computed, int64_t num_tokens,
                                  std::span<const BlockId> hit) {
  const int64_t have = static_cast<int64_t>(seq.table.size() + hit.size());
  const int64_t fresh = std::max<int64_t>(0, blocks_for_tokens(num_tokens) - have);
  // Shared blocks at or after the first written position need a private copy.
  const auto first_written = static_cast<size_t>(num_computed / config_.block_size);
  int64_t copies = 0;
  for (size_t i = first_written; i < seq.table.size(); ++i) copies += pool_.ref_count(seq.table[i]) > 1;
  // Hit blocks that are free now stop being free once taken.
  int64_t revived = 0;
  for (const BlockId b : hit) revived += pool_.ref_count(b) == 0;
  if (fresh + copies > pool_.num_free() - revived) return false;

  for (const BlockId b : hit) {
    pool_.ref(b);
    seq.table.push_back(b);
  }
  seq.num_registered = std::max(seq.num_registered, hit.size());
  for (size_t i = first_written; i < seq.table.size(); ++i) {
    const BlockId old = seq.table[i];
    if (pool_.ref_count(old) <= 1) continue;
    std::vector<BlockId> got;
    pool_.allocate(1, got);
    const int64_t rows = std::clamp<int64_t>(num_computed - static_cast<int64_t>(i) * config_.block_size, 0, config_.block_size);
    copy_block(old, got[0], rows);
    pool_.unref(old);
    seq.table[i] = got[0];
    ++cow_copies_;
  }
  pool_.allocate(fresh, seq.table);
  return true;
}

void PagedKvCache::copy_block(BlockId from, BlockId to, int64_t rows) {
  if (rows <= 0) return;
  const size_t block_bytes = row_bytes_ * static_cast<size_t>(config_.block_size);
  const size_t n = row_bytes_ * static_cast<size_t>(rows);
  for (int l = 0; l < shape_.n_layer; ++l) {
    for (auto* storage : {&keys_, &values_}) {
      uint8_t* base = (*storage)[static_cast<size_t>(l)].data();
      std::memcpy(base + static_cast<size_t>(to) * block_bytes, base + static_cast<size_t>(from) * block_bytes, n);
    }
  }
}

void PagedKvCache::cache_computed_blocks(SequenceBlocks& seq, std::span<const int32_t> tokens, int64_t num_computed) {
  if (!config_.prefix_caching) return;
  const auto full = std::min(static_cast<size_t>(num_computed / config_.block_size), seq.table.size());
  if (full <= seq.num_registered) return;
  extend_hashes(tokens.first(full * static_cast<size_t>(config_.block_size)), seq);
  for (size_t i = seq.num_registered; i < full; ++i) {
    if (seq.table[i] != kReleasedBlock) pool_.register_hash(seq.table[i], seq.hashes[i]);
  }
  seq.num_registered = full;
}

void PagedKvCache::free(SequenceBlocks& seq) {
  for (auto it = seq.table.rbegin(); it != seq.table.rend(); ++it) {
    if (*it != kReleasedBlock) pool_.unref(*it);
  }
  seq.table.clear();
  seq.hashes.clear();
  seq.num_registered = 0;
}

int64_t PagedKvCache::release_before(SequenceBlocks& seq, int64_t position) {
  if (position <= 0) return 0;
  const auto whole = std::min(static_cast<size_t>(position / config_.block_size), seq.table.size());
  int64_t released = 0;
  for (size_t i = 0; i < whole; ++i) {
    if (seq.table[i] == kReleasedBlock) continue;
    pool_.unref(seq.table[i]);
    seq.table[i] = kReleasedBlock;
    ++released;
  }
  return released;
}

void PagedKvCache::fork(const SequenceBlocks& parent, SequenceBlocks& child) {
  if (!child.table.empty()) fail("internal: fork into a sequence that has blocks");
  child = parent;
  for (const BlockId b : child.table) {
    if (b != kReleasedBlock) pool_.ref(b);
  }
}

KvStats PagedKvCache::stats() const {
  KvStats s;
  s.n_blocks = pool_.size();
  s.free_blocks = pool_.num_free();
  s.cached_blocks = pool_.num_cached();
  s.prefix_query_tokens = prefix_query_tokens_;
  s.prefix_hit_tokens = prefix_hit_tokens_;
  s.evictions = pool_.num_evictions();
  s.cow_copies = cow_copies_;
  return s;
}

}  // namespace pagoda::kv
