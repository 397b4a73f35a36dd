#pragma once
// The paged KV cache of the batched engine: one pool of fixed-size blocks
// shared by all sequences, their storage, and the three verbs the scheduler
// uses (find the cached prefix, allocate slots or say "doesn't fit", free),
// plus fork (copy-on-write sharing for n > 1 samples of one prompt).
//
// Storage: per layer one array of keys and one of values, n_blocks *
// block_size rows of row_bytes(); token slot s = block * block_size + offset.
//
// Sliding-window models: a layer that attends to the last `window`
// positions never reads the blocks behind them again, and
// release_outside_window gives those back. When every layer slides, there
// is one block group with a window. When sliding and full-attention layers
// are interleaved (Gemma 2, Gemma 3) there are two groups, each with its own
// pool, block table and per-layer storage: the full group holds every
// position of a sequence, the sliding group only the window, so the sliding
// layers' memory no longer grows with the context.
#include <cstdint>
#include <span>
#include <vector>

#include "core/huge_buffer.h"
#include "kv/block_pool.h"
#include "kv/kv_type.h"

namespace pagoda::kv {

struct KvCacheShape {
  KvCacheShape() = default;
  KvCacheShape(int layers, int heads_kv, int dim) : n_layer(layers), n_head_kv(heads_kv), head_dim(dim) {}

  int n_layer = 0;
  int n_head_kv = 0;
  int head_dim = 0;
  int64_t window = 0;            // positions a sliding layer attends to (the last `window`, its own included)
  std::vector<uint8_t> sliding;  // [n_layer] 1: the layer slides; empty: none does
  int64_t kv_dim() const { return static_cast<int64_t>(n_head_kv) * head_dim; }
  bool slides(int layer) const { return window > 0 && !sliding.empty() && sliding[static_cast<size_t>(layer)] != 0; }
  int num_sliding_layers() const;
  // Sliding and full-attention layers both present: two block groups.
  bool hybrid() const { return num_sliding_layers() > 0 && num_sliding_layers() < n_layer; }
};

struct KvCacheConfig {
  int block_size = 16;
  int64_t n_blocks = 0;          // blocks of the full group (of the only group, unless hybrid)
  KvType type = KvType::F16;
  bool prefix_caching = true;
  uint64_t salt = 0;  // distinguishes models (or adapters) sharing a process
  int64_t n_sliding_blocks = 0;  // hybrid shapes: blocks of the sliding group (0: as many as n_blocks)
};

// Bytes of one block of one layer, keys and values.
int64_t layer_block_bytes(const KvCacheShape& shape, int block_size, KvType type);

// Blocks that fit in `bytes` of storage (every layer in one group).
int64_t blocks_for_bytes(int64_t bytes, const KvCacheShape& shape, int block_size, KvType type);

// Hybrid shapes: how `bytes` splits between the groups when the sliding
// group gets `sliding_blocks` blocks and the full group the rest; when the
// rest would be fewer blocks than that, both groups get the same number
// (then the split saves nothing).
struct GroupBlocks {
  int64_t full = 0, sliding = 0;
};
GroupBlocks split_blocks_for_bytes(int64_t bytes, const KvCacheShape& shape, int block_size, KvType type,
                                   int64_t sliding_blocks);

// The inverse: the storage `blocks` take (sliding ignored unless hybrid).
int64_t bytes_for_blocks(const KvCacheShape& shape, int block_size, KvType type, GroupBlocks blocks);

// A table entry whose block went back to the pool (release_outside_window).
inline constexpr BlockId kReleasedBlock = -1;

// The blocks of one sequence, owned by the caller (the engine's sequence).
// Both tables cover the same positions; sliding_table is used only by
// hybrid caches.
struct SequenceBlocks {
  std::vector<BlockId> table;     // block i holds positions [i*block_size, (i+1)*block_size), or kReleasedBlock
  std::vector<BlockId> sliding_table;  // the same positions in the sliding group
  std::vector<BlockHash> hashes;  // chain hashes of the sequence's leading full blocks
  size_t num_registered = 0;      // leading blocks already offered to the prefix cache
};

struct KvStats {
  int64_t n_blocks = 0;           // of the full group (the only one, unless hybrid)
  int64_t free_blocks = 0;        // reference count 0 (includes cached_free)
  int64_t sliding_blocks = 0;     // hybrid caches: the sliding group's blocks
  int64_t sliding_free_blocks = 0;
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
  int64_t n_blocks() const { return groups_[0].pool.size(); }
  int64_t n_sliding_blocks() const { return hybrid() ? groups_[1].pool.size() : 0; }
  bool hybrid() const { return groups_.size() > 1; }
  // Which table a layer's keys and values are addressed by: 0 `table`, 1 `sliding_table`.
  int group_of(int layer) const { return layer_group_[static_cast<size_t>(layer)]; }
  size_t bytes() const;
  bool prefix_caching() const { return config_.prefix_caching; }

  uint8_t* keys(int layer) { return keys_[static_cast<size_t>(layer)].data(); }
  uint8_t* values(int layer) { return values_[static_cast<size_t>(layer)].data(); }
  const uint8_t* keys(int layer) const { return keys_[static_cast<size_t>(layer)].data(); }
  const uint8_t* values(int layer) const { return values_[static_cast<size_t>(layer)].data(); }

  // Blocks needed to hold n tokens.
  int64_t blocks_for_tokens(int64_t n) const { return (n + config_.block_size - 1) / config_.block_size; }

  // For a sequence without blocks: the leading full blocks of `tokens` that
  // are cached, appended to `hit` (not yet taken): n blocks of the first
  // group, then (hybrid) n of the sliding group. A group with a window needs
  // only the blocks inside the window of the first computed position; its
  // entries before them are kReleasedBlock. At most tokens.size() - 1
  // tokens are matched, so the last token is always computed and yields
  // logits. Returns the number of tokens the hit covers. Not counted in the
  // stats: a lookup may be repeated until the sequence is admitted.
  int64_t find_cached_prefix(std::span<const int32_t> tokens, SequenceBlocks& seq, std::vector<BlockId>& hit);

  // Makes seq's tables cover num_tokens positions, taking the `hit` blocks
  // first (a new sequence) and copying any shared block that positions from
  // num_computed on would write into. Returns false, changing nothing, when
  // a pool lacks free blocks.
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

  // In each group with a window: the blocks that the query at position
  // `next` and later ones never read (those wholly before next - window + 1)
  // go back to the pool (to the prefix cache, when registered), their table
  // entries marked kReleasedBlock. Returns how many blocks it released.
  int64_t release_outside_window(SequenceBlocks& seq, int64_t next);

  // child shares all of parent's blocks (copy-on-write on the next append).
  void fork(const SequenceBlocks& parent, SequenceBlocks& child);

  KvStats stats() const;
  const BlockPool& pool() const { return groups_[0].pool; }          // the full group's (the only one, unless hybrid)
  const BlockPool& sliding_pool() const { return groups_.back().pool; }  // hybrid: the sliding group's

 private:
  struct Group {
    int64_t window;  // 0: the layers attend to every position
    BlockPool pool;
  };
  static std::vector<BlockId>& table_of(SequenceBlocks& seq, size_t group) {
    return group == 0 ? seq.table : seq.sliding_table;
  }
  static const std::vector<BlockId>& table_of(const SequenceBlocks& seq, size_t group) {
    return group == 0 ? seq.table : seq.sliding_table;
  }
  // The first block a query at `position` reads in a group with this window.
  int64_t first_needed_block(int64_t window, int64_t position) const;
  // The longest hit, at most max_blocks, that group g holds every needed
  // block of, cached; appends its cached blocks (kReleasedBlock where not
  // needed) to `found`, one per block of the longest such hit.
  size_t longest_cached_prefix(size_t g, const SequenceBlocks& seq, size_t max_blocks,
                               std::vector<BlockId>& found) const;
  void extend_hashes(std::span<const int32_t> tokens, SequenceBlocks& seq) const;
  void copy_block(size_t group, BlockId from, BlockId to, int64_t rows);

  KvCacheShape shape_;
  KvCacheConfig config_;
  size_t row_bytes_;
  std::vector<Group> groups_;      // the full (or only) group, then the sliding one
  std::vector<int> layer_group_;   // [n_layer]
  std::vector<HugeBuffer> keys_, values_;  // one per layer, sized by its group
  int64_t prefix_query_tokens_ = 0, prefix_hit_tokens_ = 0, cow_copies_ = 0;
};

}  // namespace pagoda::kv
