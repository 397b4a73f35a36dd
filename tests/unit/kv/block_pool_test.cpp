// BlockPool bookkeeping on a pool of 12 blocks, asserting exact block ids.
// A new pool's free queue is 0, 1, ..., 11 (head first); allocation takes from
// the head, a block whose reference count drops to 0 joins the tail, so each
// test can predict exactly which ids the next allocation returns.
#include "kv/block_pool.h"

#include <gtest/gtest.h>

#include <optional>
#include <vector>

#include "core/error.h"

namespace pagoda::kv {
namespace {

using Ids = std::vector<BlockId>;

constexpr int64_t kBlocks = 12;

Ids take(BlockPool& pool, int64_t n) {
  Ids out;
  EXPECT_TRUE(pool.allocate(n, out)) << "allocate(" << n << ") with " << pool.num_free() << " free";
  return out;
}

// The whole free queue in order, read off a copy of the pool (allocating
// everything from the copy leaves the pool under test untouched).
Ids free_queue(const BlockPool& pool) {
  BlockPool copy = pool;
  Ids out;
  EXPECT_TRUE(copy.allocate(copy.num_free(), out));
  return out;
}

TEST(BlockPool, NewPoolIsAllFreeInIdOrder) {
  BlockPool pool(kBlocks);
  EXPECT_EQ(pool.size(), kBlocks);
  EXPECT_EQ(pool.num_free(), kBlocks);
  EXPECT_EQ(pool.num_cached(), 0);
  EXPECT_EQ(pool.num_evictions(), 0);
  for (BlockId b = 0; b < kBlocks; ++b) {
    EXPECT_EQ(pool.ref_count(b), 0);
    EXPECT_FALSE(pool.hash_of(b).has_value());
  }
  EXPECT_EQ(free_queue(pool), (Ids{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
}

TEST(BlockPool, NeedsAtLeastOneBlock) {
  EXPECT_THROW(BlockPool(0), Error);
  EXPECT_THROW(BlockPool(-3), Error);
  BlockPool one(1);
  EXPECT_EQ(take(one, 1), Ids{0});
}

TEST(BlockPool, AllocateTakesFromTheHeadWithReferenceOne) {
  BlockPool pool(kBlocks);
  Ids out = {99};  // allocate appends; what is there stays
  ASSERT_TRUE(pool.allocate(3, out));
  EXPECT_EQ(out, (Ids{99, 0, 1, 2}));
  for (BlockId b : {0, 1, 2}) EXPECT_EQ(pool.ref_count(b), 1);
  EXPECT_EQ(pool.ref_count(3), 0);
  EXPECT_EQ(pool.num_free(), 9);
  EXPECT_EQ(take(pool, 2), (Ids{3, 4}));
  EXPECT_TRUE(take(pool, 0).empty());  // zero blocks is a successful no-op
  EXPECT_EQ(pool.num_free(), 7);
}

TEST(BlockPool, UnrefToZeroAppendsToTheTail) {
  BlockPool pool(kBlocks);
  take(pool, kBlocks);
  ASSERT_EQ(pool.num_free(), 0);
  // Released out of id order: they come back in release order.
  pool.unref(5);
  pool.unref(2);
  pool.unref(9);
  EXPECT_EQ(pool.num_free(), 3);
  EXPECT_EQ(free_queue(pool), (Ids{5, 2, 9}));
  EXPECT_EQ(take(pool, 2), (Ids{5, 2}));
  pool.unref(0);  // behind 9, which has waited longer
  EXPECT_EQ(take(pool, 2), (Ids{9, 0}));
  EXPECT_EQ(pool.num_free(), 0);
}

TEST(BlockPool, ReleasedBlockWaitsBehindTheNeverUsedOnes) {
  BlockPool pool(kBlocks);
  EXPECT_EQ(take(pool, 3), (Ids{0, 1, 2}));
  pool.unref(1);
  EXPECT_EQ(free_queue(pool), (Ids{3, 4, 5, 6, 7, 8, 9, 10, 11, 1}));
  EXPECT_EQ(take(pool, 9), (Ids{3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(take(pool, 1), Ids{1});
}

TEST(BlockPool, SharedBlockIsFreeOnlyAfterTheLastHolder) {
  BlockPool pool(kBlocks);
  take(pool, 1);  // block 0
  pool.ref(0);
  pool.ref(0);
  EXPECT_EQ(pool.ref_count(0), 3);
  EXPECT_EQ(pool.num_free(), 11);  // ref() on a held block leaves the queue alone
  pool.unref(0);
  pool.unref(0);
  EXPECT_EQ(pool.ref_count(0), 1);
  EXPECT_EQ(pool.num_free(), 11);
  pool.unref(0);
  EXPECT_EQ(pool.ref_count(0), 0);
  EXPECT_EQ(pool.num_free(), 12);
  EXPECT_EQ(free_queue(pool).back(), 0);
}

TEST(BlockPool, TooFewFreeTakesNothing) {
  BlockPool pool(kBlocks);
  take(pool, 10);  // 0..9; free: 10, 11
  Ids out = {7};
  EXPECT_FALSE(pool.allocate(3, out));
  EXPECT_EQ(out, Ids{7});
  EXPECT_EQ(pool.num_free(), 2);
  EXPECT_EQ(pool.ref_count(10), 0);
  EXPECT_EQ(pool.ref_count(11), 0);
  EXPECT_EQ(free_queue(pool), (Ids{10, 11}));
  // Exactly as many as free still works.
  EXPECT_EQ(take(pool, 2), (Ids{10, 11}));
  EXPECT_FALSE(pool.allocate(1, out));
  EXPECT_EQ(out, Ids{7});
}

TEST(BlockPool, UnrefBelowZeroThrows) {
  BlockPool pool(kBlocks);
  EXPECT_THROW(pool.unref(4), Error);  // never taken
  take(pool, 1);
  pool.unref(0);
  EXPECT_THROW(pool.unref(0), Error);  // already released
  // The failed calls changed nothing.
  EXPECT_EQ(pool.ref_count(0), 0);
  EXPECT_EQ(pool.ref_count(4), 0);
  EXPECT_EQ(pool.num_free(), kBlocks);
  EXPECT_EQ(free_queue(pool), (Ids{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0}));
}

TEST(BlockPool, CachedFreeBlockKeepsItsHashUntilAllocationEvictsIt) {
  BlockPool pool(kBlocks);
  take(pool, 2);  // 0, 1
  pool.register_hash(0, 100);
  EXPECT_EQ(pool.lookup(100), std::optional<BlockId>(0));
  EXPECT_EQ(pool.hash_of(0), std::optional<BlockHash>(100));
  EXPECT_EQ(pool.num_cached(), 1);

  pool.unref(0);  // free but still cached; queue: 2..11, 0
  EXPECT_EQ(pool.num_free(), 11);
  EXPECT_EQ(pool.lookup(100), std::optional<BlockId>(0));
  EXPECT_EQ(pool.hash_of(0), std::optional<BlockHash>(100));
  EXPECT_EQ(pool.num_cached(), 1);

  // Taking the 10 uncached blocks ahead of it evicts nothing.
  EXPECT_EQ(take(pool, 10), (Ids{2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(pool.num_evictions(), 0);
  EXPECT_EQ(pool.lookup(100), std::optional<BlockId>(0));

  // Taking block 0 itself drops the hash and counts one eviction.
  EXPECT_EQ(take(pool, 1), Ids{0});
  EXPECT_EQ(pool.num_evictions(), 1);
  EXPECT_FALSE(pool.lookup(100).has_value());
  EXPECT_FALSE(pool.hash_of(0).has_value());
  EXPECT_EQ(pool.num_cached(), 0);
  EXPECT_EQ(pool.ref_count(0), 1);
}

TEST(BlockPool, EvictionsFollowReleaseOrderAndCountOnlyCachedBlocks) {
  BlockPool pool(kBlocks);
  take(pool, kBlocks);
  pool.register_hash(3, 303);
  pool.register_hash(7, 707);
  pool.unref(7);   // cached
  pool.unref(1);   // not cached
  pool.unref(3);   // cached
  EXPECT_EQ(pool.num_cached(), 2);
  EXPECT_EQ(take(pool, 1), Ids{7});
  EXPECT_EQ(pool.num_evictions(), 1);
  EXPECT_FALSE(pool.lookup(707).has_value());
  EXPECT_EQ(pool.lookup(303), std::optional<BlockId>(3));
  EXPECT_EQ(take(pool, 1), Ids{1});
  EXPECT_EQ(pool.num_evictions(), 1);
  EXPECT_EQ(take(pool, 1), Ids{3});
  EXPECT_EQ(pool.num_evictions(), 2);
  EXPECT_EQ(pool.num_cached(), 0);
}

TEST(BlockPool, RefRevivesAFreeCachedBlockFromAnywhereInTheQueue) {
  BlockPool pool(kBlocks);
  take(pool, 3);  // 0, 1, 2
  pool.register_hash(1, 111);
  pool.unref(0);
  pool.unref(1);
  pool.unref(2);  // queue: 3..11, 0, 1, 2
  ASSERT_EQ(pool.num_free(), kBlocks);

  pool.ref(1);  // a prefix hit on the cached block in the middle of the queue
  EXPECT_EQ(pool.ref_count(1), 1);
  EXPECT_EQ(pool.num_free(), 11);
  EXPECT_EQ(pool.lookup(111), std::optional<BlockId>(1));  // still cached
  EXPECT_EQ(pool.num_cached(), 1);
  EXPECT_EQ(free_queue(pool), (Ids{3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 2}));

  // Allocating everything free does not take (or evict) the revived block.
  EXPECT_EQ(take(pool, 11), (Ids{3, 4, 5, 6, 7, 8, 9, 10, 11, 0, 2}));
  EXPECT_EQ(pool.num_evictions(), 0);
  EXPECT_EQ(pool.lookup(111), std::optional<BlockId>(1));

  // Released again it goes to the (now empty) queue's tail, still cached.
  pool.unref(1);
  EXPECT_EQ(free_queue(pool), Ids{1});
  EXPECT_EQ(pool.hash_of(1), std::optional<BlockHash>(111));
}

TEST(BlockPool, RefRevivesTheHeadAndTheTail) {
  // Unlinking the first and last queue entries must fix head and tail.
  BlockPool pool(4);
  pool.ref(0);  // head
  pool.ref(3);  // tail
  EXPECT_EQ(free_queue(pool), (Ids{1, 2}));
  pool.unref(3);
  pool.unref(0);
  EXPECT_EQ(free_queue(pool), (Ids{1, 2, 3, 0}));
  pool.ref(1);
  pool.ref(2);
  pool.ref(3);
  pool.ref(0);
  EXPECT_EQ(pool.num_free(), 0);
  EXPECT_TRUE(free_queue(pool).empty());
  pool.unref(2);
  EXPECT_EQ(free_queue(pool), Ids{2});
}

TEST(BlockPool, RegisterHashKeepsTheFirstBlock) {
  BlockPool pool(kBlocks);
  take(pool, 3);
  pool.register_hash(0, 42);
  pool.register_hash(1, 42);  // same content already cached in block 0
  EXPECT_EQ(pool.lookup(42), std::optional<BlockId>(0));
  EXPECT_FALSE(pool.hash_of(1).has_value());
  EXPECT_EQ(pool.num_cached(), 1);

  // A block keeps the hash it has: re-registering it under another one is
  // ignored and the index does not gain the other hash.
  pool.register_hash(0, 43);
  EXPECT_EQ(pool.hash_of(0), std::optional<BlockHash>(42));
  EXPECT_FALSE(pool.lookup(43).has_value());
  EXPECT_EQ(pool.num_cached(), 1);

  // Once block 0 is evicted the hash is free for another block.
  pool.unref(0);
  take(pool, 9);  // 3..11
  EXPECT_EQ(take(pool, 1), Ids{0});
  EXPECT_FALSE(pool.lookup(42).has_value());
  pool.register_hash(2, 42);
  EXPECT_EQ(pool.lookup(42), std::optional<BlockId>(2));
  EXPECT_EQ(pool.hash_of(2), std::optional<BlockHash>(42));
}

TEST(BlockPool, UncachedFreeBlockStaysUncached) {
  BlockPool pool(kBlocks);
  take(pool, 1);
  pool.unref(0);
  EXPECT_FALSE(pool.hash_of(0).has_value());
  EXPECT_EQ(pool.num_cached(), 0);
  take(pool, kBlocks);
  EXPECT_EQ(pool.num_evictions(), 0);
}

}  // namespace
}  // namespace pagoda::kv
