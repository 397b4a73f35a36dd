#include "kv/paged_kv_cache.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "kv/prefix_hash.h"

namespace pagoda::kv {

int KvCacheShape::num_sliding_layers() const {
  int n = 0;
  for (int l = 0; l < n_layer; ++l) n += slides(l);
  return n;
}

int64_t layer_block_bytes(const KvCacheShape& shape, int block_size, KvType type) {
  return static_cast<int64_t>(2 * kv_row_bytes(type, shape.kv_dim())) * block_size;
}

int64_t blocks_for_bytes(int64_t bytes, const KvCacheShape& shape, int block_size, KvType type) {
  const int64_t per_block = layer_block_bytes(shape, block_size, type) * shape.n_layer;
  return per_block > 0 ? bytes / per_block : 0;
}

GroupBlocks split_blocks_for_bytes(int64_t bytes, const KvCacheShape& shape, int block_size, KvType type,
                                   int64_t sliding_blocks) {
  const int64_t per_layer_block = layer_block_bytes(shape, block_size, type);
  const int64_t sliding_layers = shape.num_sliding_layers();
  const int64_t full_layers = shape.n_layer - sliding_layers;
  const int64_t same = blocks_for_bytes(bytes, shape, block_size, type);
  if (per_layer_block <= 0 || full_layers == 0 || sliding_layers == 0 || sliding_blocks >= same) return {same, same};
  const int64_t full = (bytes - sliding_blocks * sliding_layers * per_layer_block) / (full_layers * per_layer_block);
  return {full, sliding_blocks};
}

int64_t bytes_for_blocks(const KvCacheShape& shape, int block_size, KvType type, GroupBlocks blocks) {
  const int64_t sliding_layers = shape.hybrid() ? shape.num_sliding_layers() : 0;
  return layer_block_bytes(shape, block_size, type) *
         (blocks.full * (shape.n_layer - sliding_layers) + blocks.sliding * sliding_layers);
}

PagedKvCache::PagedKvCache(const KvCacheShape& shape, const KvCacheConfig& config)
    : shape_(shape), config_(config), row_bytes_(kv_row_bytes(config.type, shape.kv_dim())) {
  if (config.block_size <= 0 || config.block_size > 1024) fail("block size must be in 1..1024 (it is ", config.block_size, ")");
  if (!shape.sliding.empty() && shape.sliding.size() != static_cast<size_t>(shape.n_layer))
    fail("internal: KV shape marks ", shape.sliding.size(), " layers as sliding or not, for ", shape.n_layer, " layers");
  if (shape.hybrid()) {
    groups_.push_back({0, BlockPool(config.n_blocks)});
    groups_.push_back({shape.window, BlockPool(config.n_sliding_blocks > 0 ? config.n_sliding_blocks : config.n_blocks)});
  } else {
    groups_.push_back({shape.num_sliding_layers() > 0 ? shape.window : 0, BlockPool(config.n_blocks)});
  }
  keys_.reserve(static_cast<size_t>(shape.n_layer));
  values_.reserve(static_cast<size_t>(shape.n_layer));
  for (int l = 0; l < shape.n_layer; ++l) {
    layer_group_.push_back(hybrid() && shape.slides(l) ? 1 : 0);
    const size_t layer_bytes = row_bytes_ * static_cast<size_t>(groups_[static_cast<size_t>(layer_group_.back())].pool.size()) *
                               static_cast<size_t>(config.block_size);
    keys_.emplace_back(layer_bytes);
    values_.emplace_back(layer_bytes);
  }
}

size_t PagedKvCache::bytes() const {
  size_t total = 0;
  for (int l = 0; l < shape_.n_layer; ++l) total += keys_[static_cast<size_t>(l)].size() + values_[static_cast<size_t>(l)].size();
  return total;
}

int64_t PagedKvCache::first_needed_block(int64_t window, int64_t position) const {
  return window > 0 ? std::max<int64_t>(0, position - window + 1) / config_.block_size : 0;
}

void PagedKvCache::extend_hashes(std::span<const int32_t> tokens, SequenceBlocks& seq) const {
  const size_t bs = static_cast<size_t>(config_.block_size);
  const size_t full = tokens.size() / bs;
  for (size_t i = seq.hashes.size(); i < full; ++i) {
    const BlockHash parent = i == 0 ? 0 : seq.hashes[i - 1];
    seq.hashes.push_back(hash_block(parent, tokens.subspan(i * bs, bs), config_.salt));
  }
}

size_t PagedKvCache::longest_cached_prefix(size_t g, const SequenceBlocks& seq, size_t max_blocks,
                                           std::vector<BlockId>& found) const {
  const Group& group = groups_[g];
  if (group.window == 0) {  // every block up to the hit's end is read
    size_t n = 0;
    for (; n < max_blocks; ++n) {
      const std::optional<BlockId> b = group.pool.lookup(seq.hashes[n]);
      if (!b) break;
      found.push_back(*b);
    }
    return n;
  }
  // Only the blocks inside the window of the first computed position are
  // read: a hit of n blocks needs the cached run ending at block n - 1 to
  // reach back to the window's first block. Earlier blocks may be evicted.
  std::vector<BlockId> cached(max_blocks, kReleasedBlock);
  std::vector<size_t> run(max_blocks + 1, 0);  // run[i]: cached blocks ending just before block i
  for (size_t i = 0; i < max_blocks; ++i) {
    if (const std::optional<BlockId> b = group.pool.lookup(seq.hashes[i])) cached[i] = *b;
    run[i + 1] = cached[i] == kReleasedBlock ? 0 : run[i] + 1;
  }
  for (size_t n = max_blocks; n > 0; --n) {
    const auto first = static_cast<size_t>(first_needed_block(group.window, static_cast<int64_t>(n) * config_.block_size));
    if (run[n] < n - first) continue;
    for (size_t i = 0; i < n; ++i) found.push_back(i < first ? kReleasedBlock : cached[i]);
    return n;
  }
  return 0;
}

int64_t PagedKvCache::find_cached_prefix(std::span<const int32_t> tokens, SequenceBlocks& seq,
                                         std::vector<BlockId>& hit) {
  if (!seq.table.empty()) fail("internal: prefix lookup for a sequence that already has blocks");
  if (!config_.prefix_caching || tokens.empty()) return 0;
  extend_hashes(tokens, seq);
  const size_t max_blocks = std::min((tokens.size() - 1) / static_cast<size_t>(config_.block_size), seq.hashes.size());
  const size_t first = hit.size();
  size_t n = longest_cached_prefix(0, seq, max_blocks, hit);
  if (hybrid() && n > 0) {
    // The full group's hit is a prefix chain: any shorter one holds too.
    std::vector<BlockId> sliding;
    n = longest_cached_prefix(1, seq, n, sliding);
    hit.resize(first + n);
    hit.insert(hit.end(), sliding.begin(), sliding.end());
  }
  return static_cast<int64_t>(n) * config_.block_size;
}

bool PagedKvCache::allocate_slots(SequenceBlocks& seq, int64_t num_computed, int64_t num_tokens,
                                  std::span<const BlockId> hit) {
  const size_t per_group = hit.size() / groups_.size();
  const auto first_written = static_cast<size_t>(num_computed / config_.block_size);
  // Check every group before changing any.
  for (size_t g = 0; g < groups_.size(); ++g) {
    const BlockPool& pool = groups_[g].pool;
    const std::vector<BlockId>& table = table_of(seq, g);
    const std::span<const BlockId> group_hit = hit.subspan(g * per_group, per_group);
    const int64_t have = static_cast<int64_t>(table.size() + group_hit.size());
    const int64_t fresh = std::max<int64_t>(0, blocks_for_tokens(num_tokens) - have);
    // Shared blocks at or after the first written position need a private copy.
    int64_t copies = 0;
    for (size_t i = first_written; i < table.size(); ++i) copies += table[i] != kReleasedBlock && pool.ref_count(table[i]) > 1;
    // Hit blocks that are free now stop being free once taken.
    int64_t revived = 0;
    for (const BlockId b : group_hit) revived += b != kReleasedBlock && pool.ref_count(b) == 0;
    if (fresh + copies > pool.num_free() - revived) return false;
  }

  for (size_t g = 0; g < groups_.size(); ++g) {
    BlockPool& pool = groups_[g].pool;
    std::vector<BlockId>& table = table_of(seq, g);
    for (const BlockId b : hit.subspan(g * per_group, per_group)) {
      if (b != kReleasedBlock) pool.ref(b);
      table.push_back(b);
    }
    for (size_t i = first_written; i < table.size(); ++i) {
      const BlockId old = table[i];
      if (old == kReleasedBlock || pool.ref_count(old) <= 1) continue;
      std::vector<BlockId> got;
      pool.allocate(1, got);
      const int64_t rows = std::clamp<int64_t>(num_computed - static_cast<int64_t>(i) * config_.block_size, 0, config_.block_size);
      copy_block(g, old, got[0], rows);
      pool.unref(old);
      table[i] = got[0];
      ++cow_copies_;
    }
    pool.allocate(std::max<int64_t>(0, blocks_for_tokens(num_tokens) - static_cast<int64_t>(table.size())), table);
  }
  seq.num_registered = std::max(seq.num_registered, per_group);
  return true;
}

void PagedKvCache::copy_block(size_t group, BlockId from, BlockId to, int64_t rows) {
  if (rows <= 0) return;
  const size_t block_bytes = row_bytes_ * static_cast<size_t>(config_.block_size);
  const size_t n = row_bytes_ * static_cast<size_t>(rows);
  for (int l = 0; l < shape_.n_layer; ++l) {
    if (static_cast<size_t>(layer_group_[static_cast<size_t>(l)]) != group) continue;
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
  for (size_t g = 0; g < groups_.size(); ++g) {
    const std::vector<BlockId>& table = table_of(seq, g);
    for (size_t i = seq.num_registered; i < full; ++i) {
      if (table[i] != kReleasedBlock) groups_[g].pool.register_hash(table[i], seq.hashes[i]);
    }
  }
  seq.num_registered = full;
}

void PagedKvCache::free(SequenceBlocks& seq) {
  for (size_t g = 0; g < groups_.size(); ++g) {
    std::vector<BlockId>& table = table_of(seq, g);
    for (auto it = table.rbegin(); it != table.rend(); ++it) {
      if (*it != kReleasedBlock) groups_[g].pool.unref(*it);
    }
    table.clear();
  }
  seq.hashes.clear();
  seq.num_registered = 0;
}

int64_t PagedKvCache::release_outside_window(SequenceBlocks& seq, int64_t next) {
  int64_t released = 0;
  for (size_t g = 0; g < groups_.size(); ++g) {
    if (groups_[g].window == 0) continue;
    std::vector<BlockId>& table = table_of(seq, g);
    const auto whole = std::min(static_cast<size_t>(first_needed_block(groups_[g].window, next)), table.size());
    for (size_t i = 0; i < whole; ++i) {
      if (table[i] == kReleasedBlock) continue;
      groups_[g].pool.unref(table[i]);
      table[i] = kReleasedBlock;
      ++released;
    }
  }
  return released;
}

void PagedKvCache::fork(const SequenceBlocks& parent, SequenceBlocks& child) {
  if (!child.table.empty()) fail("internal: fork into a sequence that has blocks");
  child = parent;
  for (size_t g = 0; g < groups_.size(); ++g) {
    for (const BlockId b : table_of(child, g)) {
      if (b != kReleasedBlock) groups_[g].pool.ref(b);
    }
  }
}

KvStats PagedKvCache::stats() const {
  KvStats s;
  s.n_blocks = pool().size();
  s.free_blocks = pool().num_free();
  s.cached_blocks = pool().num_cached();
  s.prefix_query_tokens = prefix_query_tokens_;
  s.prefix_hit_tokens = prefix_hit_tokens_;
  s.evictions = pool().num_evictions();
  if (hybrid()) {
    s.sliding_blocks = sliding_pool().size();
    s.sliding_free_blocks = sliding_pool().num_free();
    s.evictions += sliding_pool().num_evictions();
  }
  s.cow_copies = cow_copies_;
  return s;
}

}  // namespace pagoda::kv
