#pragma once
// Bookkeeping of the KV blocks: reference counts, the free queue and the
// prefix-cache index (hash -> block). No storage; see PagedKvCache.
//
// Free blocks (reference count 0) wait in one queue in eviction order: a
// freed block goes to the tail, allocation takes from the head. A free block
// that holds a cached prefix keeps its hash until allocation takes it, so a
// later request can revive it (LRU needs no separate policy).
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace pagoda::kv {

using BlockId = int32_t;
using BlockHash = uint64_t;

class BlockPool {
 public:
  explicit BlockPool(int64_t n_blocks);

  int64_t size() const { return static_cast<int64_t>(ref_.size()); }
  int64_t num_free() const { return free_count_; }          // reference count 0, cached or not
  int64_t num_cached() const { return static_cast<int64_t>(index_.size()); }
  int64_t num_evictions() const { return evictions_; }
  int ref_count(BlockId b) const { return ref_[static_cast<size_t>(b)]; }
  std::optional<BlockHash> hash_of(BlockId b) const;

  // Takes n free blocks from the head of the queue (dropping any cached
  // hash they held), each with reference count 1, appended to `out`.
  // Returns false and takes nothing when fewer than n are free.
  bool allocate(int64_t n, std::vector<BlockId>& out);

  // One more holder of b; a free (cached) block leaves the free queue.
  void ref(BlockId b);
  // One holder fewer; at 0 the block joins the tail of the free queue.
  void unref(BlockId b);

  // The block whose content has this hash, if cached.
  std::optional<BlockId> lookup(BlockHash h) const;
  // Records that b (full, computed) holds the content with hash h. Keeps the
  // first block when another one already holds h.
  void register_hash(BlockId b, BlockHash h);

 private:
  void push_free_tail(BlockId b);
  void remove_free(BlockId b);

  static constexpr BlockId kNone = -1;
  std::vector<int> ref_;
  std::vector<BlockId> prev_, next_;  // the free queue, intrusive
  std::vector<BlockHash> hash_;
  std::vector<uint8_t> has_hash_;
  BlockId head_ = kNone, tail_ = kNone;
  int64_t free_count_ = 0;
  int64_t evictions_ = 0;
  std::unordered_map<BlockHash, BlockId> index_;
};

}  // namespace pagoda::kv
