#pragma once
// The paged KV cache of the batched engine: one pool of fixed-size blocks
// shared by all sequences, their storage, and the three verbs the scheduler
// uses (find the cached prefix, allocate slots or say "doesn't fit", free),
// plus fork (copy-on-write sharing for n > 1 samples of one prompt).
//
// Storage: per layer one array of keys and one of values, n_blocks *
// block_size rows of row_bytes(); token slot s = block * block_size + offset.
#include <cstdint>
#include <span>
#include <vector>

#include "core/huge_buffer.h"
#include "kv/block_pool.h"
#include "kv/kv_type.h"

namespace pagoda::kv {

struct KvCacheShape {
  int n_layer = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  int64_t kv_dim() const { return static_cast<int64_t>(n_head_kv) * head_dim; }
};

struct KvCacheConfig {
  int block_size = 16;
  int64_t n_blocks = 0;
  KvType type = KvType::F16;
  bool prefix_caching = true;
  uint64_t salt = 0;  // distinguishes models (or adapters) sharing a process
};

// Blocks that fit in `bytes` of storage.
int64_t blocks_for_bytes(int64_t bytes, const KvCacheShape& shape, int block_size, KvType type);

// A table entry whose block went back to the pool (release_before).
inline constexpr BlockId kReleasedBlock = -1;

// The blocks of one sequence, owned by the caller (the engine's sequence).
struct SequenceBlocks {
  std::vector<BlockId> table;     // block i holds positions [i*block_size, (i+1)*block_size), or kReleasedBlock
  std::vector<BlockHash> hashes;  // chain hashes of the sequence's leading full blocks
  size_t num_registered = 0;      // leading blocks already offered to the prefix cache
};

struct KvStats {
  int64_t n_blocks = 0;
  int64_t free_blocks = 0;        // reference count 0 (includes cached_free)
  int64_t cached_blocks = 0;      // blocks holding a prefix-cache entry
  int64_t prefix_query_tokens = 0;
  int64_t prefix_hit_tokens = 0;
  int64_t evictions = 0;
  int64_t cow_copies = 0;
  double hit_rate() const {
    return prefix_query_tokens ? static_cast<double>(prefix_hit_tokens) / static_cast<double>(prefix_query_tokens) : 0.0;
  }
};

class PagedKvCache {
 public:
  PagedKvCache(const KvCacheShape& shape, const KvCacheConfig& config);

  const KvCacheShape& shape() const { return shape_; }
  int block_size() const { return config_.block_size; }
  KvType type() const { return config_.type; }
  size_t row_bytes() const { return row_bytes_; }
  int64_t n_blocks() const { return pool_.size(); }
  size_t bytes() const;
  bool prefix_caching() const { return config_.prefix_caching; }

  uint8_t* keys(int layer) { return keys_[static_cast<size_t>(layer)].data(); }
  uint8_t* values(int layer) { return values_[static_cast<size_t>(layer)].data(); }
  const uint8_t* keys(int layer) const { return keys_[static_cast<size_t>(layer)].data(); }
  const uint8_t* values(int layer) const { return values_[static_cast<size_t>(layer)].data(); }

  // Blocks needed to hold n tokens.
  int64_t blocks_for_tokens(int64_t n) const { return (n + config_.block_size - 1) / config_.block_size; }

  // For a sequence without blocks: the leading full blocks of `tokens` that
  // are cached, appended to `hit` (not yet taken). At most tokens.size() - 1
  // tokens are matched, so the last token is always computed and yields
  // logits. Returns the number of tokens the hit covers. Not counted in the
  // stats: a lookup may be repeated until the sequence is admitted.
  int64_t find_cached_prefix(std::span<const int32_t> tokens, SequenceBlocks& seq, std::vector<BlockId>& hit);

  // Makes seq's table cover num_tokens positions, taking the `hit` blocks
  // first (a new sequence) and copying any shared block that positions from
  // num_computed on would write into. Returns false, changing nothing, when
  // the pool lacks free blocks.
  bool allocate_slots(SequenceBlocks& seq, int64_t num_computed, int64_t num_tokens, std::span<const BlockId> hit = {});

  // Counts one admitted sequence's lookup in the hit-rate stats.
  void record_prefix_lookup(int64_t query_tokens, int64_t hit_tokens) {
    prefix_query_tokens_ += query_tokens;
    prefix_hit_tokens_ += hit_tokens;
  }

  // Offers the full blocks among the first num_computed positions to the
  // prefix cache.
  void cache_computed_blocks(SequenceBlocks& seq, std::span<const int32_t> tokens, int64_t num_computed);

  // Releases all of seq's blocks, last block first (so the tail of a prompt
  // is evicted before its shareable head).
  void free(SequenceBlocks& seq);

  // Sliding-window models: returns the blocks that hold only positions
  // before `position` to the pool (to the prefix cache, when registered),
  // marking their table entries kReleasedBlock; attention never reads them
  // again. Returns how many blocks it released.
  int64_t release_before(SequenceBlocks& seq, int64_t position);

  // child shares all of parent's blocks (copy-on-write on the next append).
  void fork(const SequenceBlocks& parent, SequenceBlocks& child);

  KvStats stats() const;
  const BlockPool& pool() const { return pool_; }

 private:
  void extend_hashes(std::span<const int32_t> tokens, SequenceBlocks& seq) const;
  void copy_block(BlockId from, BlockId to, int64_t rows);

  KvCacheShape shape_;
  KvCacheConfig config_;
  size_t row_bytes_;
  BlockPool pool_;
  std::vector<HugeBuffer> keys_, values_;  // one per layer
  int64_t prefix_query_tokens_ = 0, prefix_hit_tokens_ = 0, cow_copies_ = 0;
};

}  // namespace pagoda::kv
