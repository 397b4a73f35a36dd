// PagedKvCache with sliding-window layers: one windowed group when every
// layer slides, two groups (full and sliding, each with its own pool, table
// and storage) when they are interleaved. Block size 4, window 8: a query at
// position p reads p - 7 .. p, so the blocks wholly before p - 7 go back.
#include <gtest/gtest.h>

#include <numeric>
#include <vector>

#include "kv/paged_kv_cache.h"

namespace pagoda::kv {
namespace {

using Ids = std::vector<BlockId>;
using Tokens = std::vector<int32_t>;

constexpr int kBlockSize = 4;
constexpr int64_t kWindow = 8;

KvCacheShape shape_with(std::vector<uint8_t> sliding) {
  KvCacheShape s(static_cast<int>(sliding.size()), 2, 4);
  s.window = kWindow;
  s.sliding = std::move(sliding);
  return s;
}

KvCacheConfig config(int64_t n_blocks, int64_t n_sliding_blocks) {
  KvCacheConfig c;
  c.block_size = kBlockSize;
  c.n_blocks = n_blocks;
  c.n_sliding_blocks = n_sliding_blocks;
  c.type = KvType::F32;
  return c;
}

Tokens iota_tokens(int n, int32_t first = 1) {
  Tokens t(static_cast<size_t>(n));
  std::iota(t.begin(), t.end(), first);
  return t;
}

// Runs a new sequence's prompt the way the engine does: lookup, allocate,
// offer the computed blocks, release what the next position will not read.
int64_t admit(PagedKvCache& cache, SequenceBlocks& seq, const Tokens& prompt, Ids* hit_out = nullptr) {
  Ids hit;
  const int64_t cached = cache.find_cached_prefix(prompt, seq, hit);
  EXPECT_TRUE(cache.allocate_slots(seq, cached, static_cast<int64_t>(prompt.size()), hit));
  cache.cache_computed_blocks(seq, prompt, static_cast<int64_t>(prompt.size()));
  cache.release_outside_window(seq, static_cast<int64_t>(prompt.size()));
  if (hit_out) *hit_out = hit;
  return cached;
}

constexpr BlockId R = kReleasedBlock;

TEST(SlidingWindowCache, HybridShapeSplitsPoolsAndStorage) {
  const KvCacheShape shape = shape_with({1, 0, 1, 0});
  ASSERT_TRUE(shape.hybrid());
  PagedKvCache cache(shape, config(10, 4));
  EXPECT_TRUE(cache.hybrid());
  EXPECT_EQ(cache.n_blocks(), 10);
  EXPECT_EQ(cache.n_sliding_blocks(), 4);
  EXPECT_EQ(cache.group_of(0), 1);
  EXPECT_EQ(cache.group_of(1), 0);
  const size_t block = cache.row_bytes() * kBlockSize * 2;  // keys and values
  EXPECT_EQ(cache.bytes(), 2 * 10 * block + 2 * 4 * block);
  const KvStats st = cache.stats();
  EXPECT_EQ(st.sliding_blocks, 4);
  EXPECT_EQ(st.sliding_free_blocks, 4);

  // Every layer sliding, or none: one group.
  EXPECT_FALSE(PagedKvCache(shape_with({1, 1}), config(10, 4)).hybrid());
  EXPECT_FALSE(PagedKvCache(KvCacheShape(2, 2, 4), config(10, 4)).hybrid());
  EXPECT_EQ(PagedKvCache(shape_with({1, 1}), config(10, 4)).n_sliding_blocks(), 0);
}

TEST(SlidingWindowCache, SplitGivesTheRestToTheFullGroup) {
  const KvCacheShape shape = shape_with({1, 0, 1, 0});
  const auto layer_block = static_cast<int64_t>(2 * kv_row_bytes(KvType::F32, shape.kv_dim())) * kBlockSize;
  // 100 layer-blocks: 2 sliding layers x 10 blocks, the other 80 to 2 full layers.
  GroupBlocks g = split_blocks_for_bytes(100 * layer_block, shape, kBlockSize, KvType::F32, 10);
  EXPECT_EQ(g.full, 40);
  EXPECT_EQ(g.sliding, 10);
  EXPECT_EQ(bytes_for_blocks(shape, kBlockSize, KvType::F32, g), 100 * layer_block);
  // Without a second group every layer counts as full.
  EXPECT_EQ(bytes_for_blocks(KvCacheShape(4, 2, 4), kBlockSize, KvType::F32, {10, 3}), 40 * layer_block);
  // Asking the sliding group for more than an even split gives: even split.
  g = split_blocks_for_bytes(100 * layer_block, shape, kBlockSize, KvType::F32, 30);
  EXPECT_EQ(g.full, 25);
  EXPECT_EQ(g.sliding, 25);
}

// A long decode needs only the window's blocks in the sliding group, while
// the full group holds every position.
TEST(SlidingWindowCache, DecodeKeepsOnlyTheWindowInTheSlidingGroup) {
  PagedKvCache cache(shape_with({1, 0}), config(12, 4));
  SequenceBlocks seq;
  int64_t released = 0;
  for (int64_t pos = 0; pos < 40; ++pos) {
    ASSERT_TRUE(cache.allocate_slots(seq, pos, pos + 1)) << "position " << pos;
    released += cache.release_outside_window(seq, pos + 1);
    // Live sliding blocks: those from (pos + 1 - 7) / 4 to pos / 4.
    const int64_t first = std::max<int64_t>(0, pos + 1 - kWindow + 1) / kBlockSize;
    for (int64_t b = 0; b < static_cast<int64_t>(seq.sliding_table.size()); ++b) {
      EXPECT_EQ(seq.sliding_table[static_cast<size_t>(b)] == R, b < first) << "position " << pos << " block " << b;
    }
  }
  EXPECT_EQ(seq.table.size(), 10u);
  EXPECT_EQ(std::count(seq.table.begin(), seq.table.end(), R), 0) << "the full group never releases";
  EXPECT_EQ(released, 8);  // blocks 0..7 of the sliding group; 8 and 9 are in the window of position 40
  EXPECT_EQ(cache.stats().free_blocks, 2);
  EXPECT_EQ(cache.stats().sliding_free_blocks, 2);
  cache.free(seq);
  EXPECT_EQ(cache.stats().free_blocks, 12);
  EXPECT_EQ(cache.stats().sliding_free_blocks, 4);
}

// The full group needs the whole chain; the sliding group only the blocks
// inside the window of the first computed position, so a hit survives the
// eviction of the sliding group's older blocks.
TEST(SlidingWindowCache, PrefixHitNeedsOnlyTheWindowInTheSlidingGroup) {
  PagedKvCache cache(shape_with({1, 0}), config(20, 8));
  const Tokens prompt = iota_tokens(20);
  SequenceBlocks a;
  admit(cache, a, prompt);
  EXPECT_EQ(a.sliding_table, (Ids{R, R, R, 3, 4}));  // position 20 reads 13..20
  const std::vector<BlockHash> chain = a.hashes;
  cache.free(a);

  // Evict the sliding group's cached blocks 0..2 (free queue: 5, 6, 7, then
  // the blocks released behind the window, then 4 and 3 freed last).
  SequenceBlocks other;
  ASSERT_TRUE(cache.allocate_slots(other, 0, 24));
  cache.free(other);
  EXPECT_FALSE(cache.sliding_pool().lookup(chain[0]).has_value());
  EXPECT_TRUE(cache.pool().lookup(chain[0]).has_value());

  // 24 tokens: at most 5 blocks (20 positions) may hit; position 20 reads
  // blocks 3 and 4 in the sliding group.
  SequenceBlocks b;
  Ids hit;
  const Tokens longer = iota_tokens(24);
  EXPECT_EQ(admit(cache, b, longer, &hit), 20);
  ASSERT_EQ(hit.size(), 10u);
  EXPECT_EQ(Ids(hit.begin() + 5, hit.end()), (Ids{R, R, R, 3, 4}));
  EXPECT_EQ(b.sliding_table[3], R);  // taken, then released: position 24 reads from 17 on
  EXPECT_EQ(b.sliding_table[4], 4);
  EXPECT_EQ(Ids(b.table.begin(), b.table.begin() + 5), Ids(hit.begin(), hit.begin() + 5));
  cache.free(b);

  // Once the sliding group's blocks are all evicted, nothing hits, though
  // the full group still holds the chain.
  SequenceBlocks taker;
  ASSERT_TRUE(cache.allocate_slots(taker, 0, 32));  // takes every sliding block, evicting all
  cache.free(taker);
  SequenceBlocks c;
  EXPECT_EQ(admit(cache, c, longer), 0);
  cache.free(c);
}

// With every layer sliding (one windowed group), a hit needs only the window.
TEST(SlidingWindowCache, SingleWindowedGroupHitsWithoutTheOlderBlocks) {
  PagedKvCache cache(shape_with({1, 1}), config(8, 0));
  const Tokens prompt = iota_tokens(20);
  SequenceBlocks a;
  admit(cache, a, prompt);
  EXPECT_EQ(a.table, (Ids{R, R, R, 3, 4}));
  cache.free(a);
  SequenceBlocks other;  // takes the free blocks 5, 6, 7 and then 0: block 0's content is evicted
  ASSERT_TRUE(cache.allocate_slots(other, 0, 16));
  cache.free(other);
  SequenceBlocks b;
  Ids hit;
  EXPECT_EQ(admit(cache, b, iota_tokens(24), &hit), 20);
  EXPECT_EQ(hit, (Ids{R, R, R, 3, 4}));
  cache.free(b);
  EXPECT_EQ(cache.stats().free_blocks, 8);
}

// Copy-on-write after fork copies the shared partial block in both groups,
// each within its own layers' storage.
TEST(SlidingWindowCache, ForkCopiesTheSharedBlockInBothGroups) {
  PagedKvCache cache(shape_with({1, 0}), config(8, 8));
  SequenceBlocks parent;
  ASSERT_TRUE(cache.allocate_slots(parent, 0, 6));
  // Position 5 (block 1, row 1) in the sliding layer 0 and the full layer 1.
  const auto slot = [](const std::vector<BlockId>& t, int64_t pos) {
    return static_cast<size_t>(t[static_cast<size_t>(pos / kBlockSize)]) * kBlockSize + static_cast<size_t>(pos % kBlockSize);
  };
  const size_t row = cache.row_bytes();
  for (int layer : {0, 1}) {
    const std::vector<BlockId>& t = cache.group_of(layer) == 0 ? parent.table : parent.sliding_table;
    cache.keys(layer)[slot(t, 5) * row] = static_cast<uint8_t>(40 + layer);
  }
  SequenceBlocks child;
  cache.fork(parent, child);
  ASSERT_TRUE(cache.allocate_slots(child, 6, 7));
  EXPECT_EQ(cache.stats().cow_copies, 2);
  EXPECT_NE(child.table[1], parent.table[1]);
  EXPECT_NE(child.sliding_table[1], parent.sliding_table[1]);
  EXPECT_EQ(child.table[0], parent.table[0]);
  EXPECT_EQ(child.sliding_table[0], parent.sliding_table[0]);
  for (int layer : {0, 1}) {
    const std::vector<BlockId>& t = cache.group_of(layer) == 0 ? child.table : child.sliding_table;
    EXPECT_EQ(cache.keys(layer)[slot(t, 5) * row], 40 + layer) << "layer " << layer;
  }
  cache.free(parent);
  cache.free(child);
  EXPECT_EQ(cache.stats().free_blocks, 8);
  EXPECT_EQ(cache.stats().sliding_free_blocks, 8);
}

// Allocation that fits one group but not the other changes nothing.
TEST(SlidingWindowCache, AllocationThatDoesNotFitTheSlidingGroupChangesNothing) {
  PagedKvCache cache(shape_with({1, 0}), config(10, 2));
  SequenceBlocks seq;
  EXPECT_FALSE(cache.allocate_slots(seq, 0, 12));  // 3 blocks: fits the full group only
  EXPECT_TRUE(seq.table.empty());
  EXPECT_TRUE(seq.sliding_table.empty());
  EXPECT_EQ(cache.stats().free_blocks, 10);
  EXPECT_EQ(cache.stats().sliding_free_blocks, 2);
}

}  // namespace
}  // namespace pagoda::kv
