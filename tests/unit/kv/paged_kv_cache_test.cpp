// PagedKvCache scenarios with exact block ids: prefix lookup, slot
// allocation (including the "doesn't fit" answer), copy-on-write after fork,
// release order and the stats. Block size 4 throughout, so a prompt of n
// tokens spans ceil(n / 4) blocks and its floor((n - 1) / 4) leading full
// blocks are the most a prefix hit may cover.
#include "kv/paged_kv_cache.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <optional>
#include <vector>

#include "core/error.h"
#include "kv/prefix_hash.h"

namespace pagoda::kv {
namespace {

using Ids = std::vector<BlockId>;
using Tokens = std::vector<int32_t>;

constexpr int kBlockSize = 4;
// 2 layers, kv_dim 8: small, but more than one layer so copies must cover all.
const KvCacheShape kShape{2, 2, 4};

KvCacheConfig config(int64_t n_blocks, uint64_t salt = 0, bool prefix_caching = true) {
  KvCacheConfig c;
  c.block_size = kBlockSize;
  c.n_blocks = n_blocks;
  c.type = KvType::F32;
  c.prefix_caching = prefix_caching;
  c.salt = salt;
  return c;
}

Tokens iota_tokens(int n, int32_t first = 1) {
  Tokens t(static_cast<size_t>(n));
  std::iota(t.begin(), t.end(), first);
  return t;
}

Tokens concat(Tokens a, const Tokens& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// A new sequence the way the scheduler admits one: look up the cached
// prefix, take the hit blocks plus fresh ones for the whole prompt, count the
// admitted lookup in the stats, "compute" the rest and offer its full blocks
// to the prefix cache.
struct Admitted {
  int64_t hit_tokens = 0;
  Ids hit;
  bool fits = false;
};
Admitted admit(PagedKvCache& cache, SequenceBlocks& seq, const Tokens& prompt) {
  Admitted a;
  a.hit_tokens = cache.find_cached_prefix(prompt, seq, a.hit);
  a.fits = cache.allocate_slots(seq, a.hit_tokens, static_cast<int64_t>(prompt.size()), a.hit);
  if (a.fits) {
    cache.record_prefix_lookup(static_cast<int64_t>(prompt.size()), a.hit_tokens);
    cache.cache_computed_blocks(seq, prompt, static_cast<int64_t>(prompt.size()));
  }
  return a;
}

// One storage row (layer, K or V, token slot) as floats.
std::vector<float> row_at(const PagedKvCache& cache, bool keys, int layer, int64_t slot) {
  const uint8_t* base = keys ? cache.keys(layer) : cache.values(layer);
  std::vector<float> out(static_cast<size_t>(cache.shape().kv_dim()));
  load_kv_elements(cache.type(), base + static_cast<size_t>(slot) * cache.row_bytes(), 0, cache.shape().kv_dim(), out.data());
  return out;
}

void write_row(PagedKvCache& cache, bool keys, int layer, int64_t slot, float fill) {
  uint8_t* base = keys ? cache.keys(layer) : cache.values(layer);
  std::vector<float> row(static_cast<size_t>(cache.shape().kv_dim()));
  for (size_t i = 0; i < row.size(); ++i) row[i] = fill + static_cast<float>(i);
  store_kv_row(cache.type(), row.data(), cache.shape().kv_dim(), base + static_cast<size_t>(slot) * cache.row_bytes());
}

// A value unique to (sequence tag, position, layer, K/V).
float pattern(int tag, int64_t pos, int layer, bool keys) {
  return static_cast<float>(tag * 10000 + pos * 100 + layer * 10 + (keys ? 0 : 5));
}

// Writes positions [from, to) of seq in every layer, K and V.
void compute(PagedKvCache& cache, const SequenceBlocks& seq, int tag, int64_t from, int64_t to) {
  for (int64_t p = from; p < to; ++p) {
    const int64_t slot = seq.table.at(static_cast<size_t>(p / kBlockSize)) * kBlockSize + p % kBlockSize;
    for (int l = 0; l < kShape.n_layer; ++l) {
      write_row(cache, true, l, slot, pattern(tag, p, l, true));
      write_row(cache, false, l, slot, pattern(tag, p, l, false));
    }
  }
}

TEST(PagedKvCache, Geometry) {
  PagedKvCache cache(kShape, config(12));
  EXPECT_EQ(cache.row_bytes(), 32u);  // kv_dim 8 x 4 bytes
  EXPECT_EQ(cache.n_blocks(), 12);
  EXPECT_EQ(cache.block_size(), 4);
  EXPECT_EQ(cache.bytes(), 2u * 2u * 32u * 12u * 4u);  // K+V x layers x row x blocks x rows per block
  EXPECT_EQ(cache.blocks_for_tokens(0), 0);
  EXPECT_EQ(cache.blocks_for_tokens(1), 1);
  EXPECT_EQ(cache.blocks_for_tokens(4), 1);
  EXPECT_EQ(cache.blocks_for_tokens(5), 2);
  const auto bytes = static_cast<int64_t>(cache.bytes());
  EXPECT_EQ(blocks_for_bytes(bytes, kShape, kBlockSize, KvType::F32), 12);
  EXPECT_EQ(blocks_for_bytes(bytes - 1, kShape, kBlockSize, KvType::F32), 11);
  EXPECT_EQ(blocks_for_bytes(bytes, kShape, kBlockSize, KvType::F16), 24);
}

TEST(PagedKvCache, RejectsBadConfigurations) {
  KvCacheConfig c = config(12);
  c.block_size = 0;
  EXPECT_THROW(PagedKvCache(kShape, c), Error);
  c.block_size = 1025;
  EXPECT_THROW(PagedKvCache(kShape, c), Error);
  EXPECT_THROW(PagedKvCache(kShape, config(0)), Error);
  c = config(12);
  c.type = KvType::Q8_0;  // kv_dim 8 is not a multiple of 32
  EXPECT_THROW(PagedKvCache(kShape, c), Error);
  EXPECT_NO_THROW(PagedKvCache(KvCacheShape{1, 4, 8}, c));  // kv_dim 32 is
}

TEST(PagedKvCache, FindCachedPrefixMatchesAtMostAllButTheLastToken) {
  PagedKvCache cache(kShape, config(12));
  const Tokens eight = iota_tokens(8);  // exactly two full blocks
  SequenceBlocks a;
  const Admitted first = admit(cache, a, eight);
  EXPECT_EQ(first.hit_tokens, 0);  // empty cache
  EXPECT_TRUE(first.hit.empty());
  ASSERT_TRUE(first.fits);
  EXPECT_EQ(a.table, (Ids{0, 1}));
  EXPECT_EQ(a.num_registered, 2u);
  EXPECT_EQ(cache.pool().num_cached(), 2);

  struct Case {
    Tokens prompt;
    int64_t hit_tokens;
    Ids hit;
  };
  const std::vector<Case> cases = {
      {eight, 4, {0}},                          // the same 8 tokens: the last must be computed
      {concat(eight, {9}), 8, {0, 1}},          // one more token: both blocks
      {concat(eight, {9, 10, 11, 12, 13}), 8, {0, 1}},
      {iota_tokens(5), 4, {0}},
      {iota_tokens(4), 0, {}},                  // a single full block is the whole prompt
      {iota_tokens(1), 0, {}},
      {{}, 0, {}},
      {{1, 2, 3, 4, 9, 9, 9, 9, 9}, 4, {0}},    // diverges in block 1
      {{7, 2, 3, 4, 5, 6, 7, 8, 9}, 0, {}},     // diverges in block 0: block 1 is keyed by the chain
  };
  for (const Case& c : cases) {
    SequenceBlocks s;
    Ids hit;
    EXPECT_EQ(cache.find_cached_prefix(c.prompt, s, hit), c.hit_tokens) << c.prompt.size() << " tokens";
    EXPECT_EQ(hit, c.hit);
    EXPECT_TRUE(s.table.empty());  // a lookup takes nothing
  }
  EXPECT_EQ(cache.pool().ref_count(0), 1);
  EXPECT_EQ(cache.pool().ref_count(1), 1);
}

TEST(PagedKvCache, SecondSequenceHitsOnlyWhatTheFirstHasCached) {
  PagedKvCache cache(kShape, config(12));
  const Tokens prompt = iota_tokens(9);  // blocks 0, 1 full; block 2 holds one token
  SequenceBlocks a;
  Ids none;
  ASSERT_EQ(cache.find_cached_prefix(prompt, a, none), 0);
  ASSERT_TRUE(cache.allocate_slots(a, 0, 9));
  EXPECT_EQ(a.table, (Ids{0, 1, 2}));

  // Computed but not yet offered to the cache: nothing to hit.
  {
    SequenceBlocks b;
    Ids hit;
    EXPECT_EQ(cache.find_cached_prefix(prompt, b, hit), 0);
  }
  // Offered after the first 5 positions: only block 0 is full and computed.
  cache.cache_computed_blocks(a, prompt, 5);
  EXPECT_EQ(a.num_registered, 1u);
  {
    SequenceBlocks b;
    Ids hit;
    EXPECT_EQ(cache.find_cached_prefix(prompt, b, hit), 4);
    EXPECT_EQ(hit, Ids{0});
  }
  // The whole prompt: blocks 0 and 1 (block 2 is partial and never cached).
  cache.cache_computed_blocks(a, prompt, 9);
  EXPECT_EQ(a.num_registered, 2u);
  EXPECT_EQ(cache.pool().num_cached(), 2);
  EXPECT_FALSE(cache.pool().hash_of(2).has_value());

  SequenceBlocks b;
  const Admitted got = admit(cache, b, prompt);
  EXPECT_EQ(got.hit_tokens, 8);
  ASSERT_TRUE(got.fits);
  EXPECT_EQ(b.table, (Ids{0, 1, 3}));  // shares a's full blocks, a fresh one for the last token
  EXPECT_EQ(b.num_registered, 2u);
  EXPECT_EQ(cache.pool().ref_count(0), 2);
  EXPECT_EQ(cache.pool().ref_count(1), 2);
  EXPECT_EQ(cache.pool().ref_count(2), 1);
  EXPECT_EQ(cache.pool().ref_count(3), 1);
  EXPECT_EQ(cache.pool().num_cached(), 2);  // b's blocks add nothing new
}

TEST(PagedKvCache, RegisteredHashesAreTheSaltedChain) {
  const uint64_t salt = 7;
  PagedKvCache cache(kShape, config(12, salt));
  const Tokens prompt = iota_tokens(9);
  SequenceBlocks a;
  ASSERT_TRUE(admit(cache, a, prompt).fits);
  const std::span<const int32_t> t(prompt);
  const BlockHash h0 = hash_block(0, t.subspan(0, 4), salt);
  const BlockHash h1 = hash_block(h0, t.subspan(4, 4), salt);
  EXPECT_EQ(a.hashes, (std::vector<BlockHash>{h0, h1}));
  EXPECT_EQ(cache.pool().lookup(h0), std::optional<BlockId>(a.table[0]));
  EXPECT_EQ(cache.pool().lookup(h1), std::optional<BlockId>(a.table[1]));
  EXPECT_EQ(cache.pool().hash_of(a.table[0]), std::optional<BlockHash>(h0));
}

TEST(PagedKvCache, HashBlockDependsOnParentTokensAndSalt) {
  const Tokens t = {1, 2, 3, 4};
  const BlockHash base = hash_block(0, t, 0);
  EXPECT_EQ(hash_block(0, t, 0), base);  // deterministic
  EXPECT_NE(hash_block(1, t, 0), base);
  EXPECT_NE(hash_block(0, t, 1), base);
  EXPECT_NE(hash_block(0, Tokens{1, 2, 3, 5}, 0), base);
  EXPECT_NE(hash_block(0, Tokens{2, 1, 3, 4}, 0), base);  // order matters
  EXPECT_NE(hash_block(0, Tokens{1, 2, 3}, 0), hash_block(0, Tokens{1, 2, 3, 0}, 0));
  EXPECT_NE(hash_block(0, Tokens{-1}, 0), hash_block(0, Tokens{0}, 0));
}

TEST(PagedKvCache, DifferentSaltNeverHits) {
  // Two caches (two models) run the same prompts. Every hash a salt-8 lookup
  // asks for is absent from the salt-7 cache's index, and vice versa, so the
  // blocks of one model are never offered to the other.
  PagedKvCache seven(kShape, config(12, 7));
  PagedKvCache eight(kShape, config(12, 8));
  const Tokens prompt = iota_tokens(13);
  SequenceBlocks a7, a8;
  ASSERT_TRUE(admit(seven, a7, prompt).fits);
  ASSERT_TRUE(admit(eight, a8, prompt).fits);
  ASSERT_EQ(a7.hashes.size(), 3u);
  ASSERT_EQ(a8.hashes.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_NE(a7.hashes[i], a8.hashes[i]);
    EXPECT_FALSE(seven.pool().lookup(a8.hashes[i]).has_value()) << i;
    EXPECT_FALSE(eight.pool().lookup(a7.hashes[i]).has_value()) << i;
  }
  // Within one cache the same prompt does hit.
  SequenceBlocks b7;
  Ids hit;
  EXPECT_EQ(seven.find_cached_prefix(prompt, b7, hit), 12);
}

TEST(PagedKvCache, PrefixCachingOffNeverHits) {
  PagedKvCache cache(kShape, config(12, 0, /*prefix_caching=*/false));
  const Tokens prompt = iota_tokens(9);
  SequenceBlocks a, b;
  EXPECT_EQ(admit(cache, a, prompt).hit_tokens, 0);
  EXPECT_EQ(a.num_registered, 0u);
  EXPECT_EQ(cache.pool().num_cached(), 0);
  for (BlockId id : a.table) EXPECT_FALSE(cache.pool().hash_of(id).has_value());
  const Admitted got = admit(cache, b, prompt);
  EXPECT_EQ(got.hit_tokens, 0);
  EXPECT_TRUE(got.hit.empty());
  EXPECT_EQ(b.table, (Ids{3, 4, 5}));  // its own blocks, nothing shared
  const KvStats s = cache.stats();
  EXPECT_EQ(s.prefix_query_tokens, 18);  // admitted queries still count
  EXPECT_EQ(s.prefix_hit_tokens, 0);
  EXPECT_EQ(s.hit_rate(), 0.0);
  EXPECT_EQ(s.cached_blocks, 0);
}

TEST(PagedKvCache, AllocateSlotsThatDoNotFitChangeNothing) {
  PagedKvCache cache(kShape, config(4));
  SequenceBlocks a;
  ASSERT_TRUE(cache.allocate_slots(a, 0, 12));
  EXPECT_EQ(a.table, (Ids{0, 1, 2}));
  EXPECT_EQ(cache.stats().free_blocks, 1);

  // A new sequence needing 2 blocks with 1 free.
  SequenceBlocks b;
  EXPECT_FALSE(cache.allocate_slots(b, 0, 5));
  EXPECT_TRUE(b.table.empty());
  EXPECT_EQ(cache.stats().free_blocks, 1);
  EXPECT_EQ(cache.pool().ref_count(3), 0);

  // An existing sequence growing by 2 blocks with 1 free.
  EXPECT_FALSE(cache.allocate_slots(a, 12, 20));
  EXPECT_EQ(a.table, (Ids{0, 1, 2}));
  EXPECT_EQ(cache.stats().free_blocks, 1);

  // Growing within its last block, or by exactly the free block, fits.
  EXPECT_TRUE(cache.allocate_slots(a, 12, 12));
  EXPECT_EQ(a.table, (Ids{0, 1, 2}));
  EXPECT_TRUE(cache.allocate_slots(a, 12, 16));
  EXPECT_EQ(a.table, (Ids{0, 1, 2, 3}));
  EXPECT_EQ(cache.stats().free_blocks, 0);
}

TEST(PagedKvCache, FreeHitBlocksAreNotCountedTwice) {
  // Pool of 4. a computes a 9-token prompt (blocks 0, 1 cached, block 2
  // partial) and ends: all 4 blocks are free, 2 of them cached. Release is
  // last block first, so the queue is 3, 2, 1, 0.
  PagedKvCache cache(kShape, config(4));
  const Tokens prompt = iota_tokens(9);
  SequenceBlocks a;
  ASSERT_TRUE(admit(cache, a, prompt).fits);
  cache.free(a);
  EXPECT_TRUE(a.table.empty());
  ASSERT_EQ(cache.stats().free_blocks, 4);
  ASSERT_EQ(cache.stats().cached_blocks, 2);

  // b extends the prompt to 17 tokens: hits blocks 0 and 1 (8 tokens) and
  // needs 5 blocks in all, 3 fresh. Taking the hits leaves only 2 free, so
  // this must not fit although 4 blocks are free right now.
  const Tokens longer = concat(iota_tokens(8), iota_tokens(9, 100));
  SequenceBlocks b;
  Ids hit;
  ASSERT_EQ(cache.find_cached_prefix(longer, b, hit), 8);
  ASSERT_EQ(hit, (Ids{0, 1}));
  EXPECT_FALSE(cache.allocate_slots(b, 8, 17, hit));
  EXPECT_TRUE(b.table.empty());
  EXPECT_EQ(b.num_registered, 0u);
  EXPECT_EQ(cache.pool().ref_count(0), 0);
  EXPECT_EQ(cache.pool().ref_count(1), 0);
  EXPECT_EQ(cache.stats().free_blocks, 4);
  EXPECT_EQ(cache.stats().cached_blocks, 2);
  EXPECT_EQ(cache.stats().evictions, 0);

  // 16 tokens need 2 fresh blocks: exactly what the hits leave (3 then 2).
  EXPECT_TRUE(cache.allocate_slots(b, 8, 16, hit));
  EXPECT_EQ(b.table, (Ids{0, 1, 3, 2}));
  EXPECT_EQ(b.num_registered, 2u);
  EXPECT_EQ(cache.stats().free_blocks, 0);
  EXPECT_EQ(cache.stats().evictions, 0);  // block 2 was never cached
  EXPECT_EQ(cache.stats().cached_blocks, 2);
}

TEST(PagedKvCache, HeldHitBlocksCostNothingFree) {
  // The hits are held by a running sequence: taking them uses no free block.
  PagedKvCache cache(kShape, config(4));
  const Tokens prompt = iota_tokens(9);
  SequenceBlocks a, b;
  ASSERT_TRUE(admit(cache, a, prompt).fits);  // 0, 1, 2; one free
  const Admitted got = admit(cache, b, prompt);
  EXPECT_EQ(got.hit_tokens, 8);
  ASSERT_TRUE(got.fits);
  EXPECT_EQ(b.table, (Ids{0, 1, 3}));
  EXPECT_EQ(cache.pool().ref_count(0), 2);
  EXPECT_EQ(cache.pool().ref_count(1), 2);
  EXPECT_EQ(cache.stats().free_blocks, 0);

  // A third copy of the prompt would need one more fresh block: refused,
  // and the hit blocks keep their counts.
  SequenceBlocks c;
  const Admitted refused = admit(cache, c, prompt);
  EXPECT_EQ(refused.hit_tokens, 8);
  EXPECT_FALSE(refused.fits);
  EXPECT_TRUE(c.table.empty());
  EXPECT_EQ(cache.pool().ref_count(0), 2);
  EXPECT_EQ(cache.pool().ref_count(1), 2);
}

TEST(PagedKvCache, ForkThenAppendCopiesTheSharedPartialBlock) {
  PagedKvCache cache(kShape, config(12));
  const Tokens prompt = iota_tokens(6);  // block 0 full, block 1 holds 2 tokens
  SequenceBlocks parent;
  ASSERT_TRUE(cache.allocate_slots(parent, 0, 6));
  ASSERT_EQ(parent.table, (Ids{0, 1}));
  compute(cache, parent, /*tag=*/1, 0, 6);
  cache.cache_computed_blocks(parent, prompt, 6);

  SequenceBlocks child;
  cache.fork(parent, child);
  EXPECT_EQ(child.table, parent.table);
  EXPECT_EQ(child.hashes, parent.hashes);
  EXPECT_EQ(child.num_registered, parent.num_registered);
  EXPECT_EQ(cache.pool().ref_count(0), 2);
  EXPECT_EQ(cache.pool().ref_count(1), 2);
  EXPECT_EQ(cache.stats().cow_copies, 0);

  // The child's next token goes to position 6, inside shared block 1: it gets
  // a private copy (block 2, the head of the free queue) holding rows 0..1.
  ASSERT_TRUE(cache.allocate_slots(child, 6, 7));
  EXPECT_EQ(child.table, (Ids{0, 2}));   // block 0 is full and stays shared
  EXPECT_EQ(parent.table, (Ids{0, 1}));  // the original stays with the parent
  EXPECT_EQ(cache.pool().ref_count(0), 2);
  EXPECT_EQ(cache.pool().ref_count(1), 1);
  EXPECT_EQ(cache.pool().ref_count(2), 1);
  EXPECT_EQ(cache.stats().cow_copies, 1);
  for (int l = 0; l < kShape.n_layer; ++l) {
    for (bool keys : {true, false}) {
      for (int64_t r = 0; r < 2; ++r) {
        const auto copied = row_at(cache, keys, l, 2 * kBlockSize + r);
        EXPECT_EQ(copied, row_at(cache, keys, l, 1 * kBlockSize + r)) << "layer " << l << " row " << r;
        EXPECT_EQ(copied[0], pattern(1, 4 + r, l, keys));
      }
    }
  }

  // Both now write position 6 differently; neither sees the other's row.
  compute(cache, child, /*tag=*/2, 6, 7);
  ASSERT_TRUE(cache.allocate_slots(parent, 6, 7));  // sole owner: no copy
  EXPECT_EQ(parent.table, (Ids{0, 1}));
  EXPECT_EQ(cache.stats().cow_copies, 1);
  compute(cache, parent, /*tag=*/3, 6, 7);
  for (int l = 0; l < kShape.n_layer; ++l) {
    EXPECT_EQ(row_at(cache, true, l, 2 * kBlockSize + 2)[0], pattern(2, 6, l, true));
    EXPECT_EQ(row_at(cache, true, l, 1 * kBlockSize + 2)[0], pattern(3, 6, l, true));
    EXPECT_EQ(row_at(cache, false, l, 2 * kBlockSize + 1)[0], pattern(1, 5, l, false));
  }
}

TEST(PagedKvCache, ForkOfSeveralSamplesCopiesForAllButTheLastWriter) {
  PagedKvCache cache(kShape, config(12));
  SequenceBlocks parent, c1, c2;
  ASSERT_TRUE(cache.allocate_slots(parent, 0, 3));
  compute(cache, parent, 1, 0, 3);
  cache.fork(parent, c1);
  cache.fork(parent, c2);
  EXPECT_EQ(cache.pool().ref_count(0), 3);
  ASSERT_TRUE(cache.allocate_slots(c1, 3, 4));
  ASSERT_TRUE(cache.allocate_slots(c2, 3, 4));
  ASSERT_TRUE(cache.allocate_slots(parent, 3, 4));
  EXPECT_EQ(c1.table, Ids{1});
  EXPECT_EQ(c2.table, Ids{2});
  EXPECT_EQ(parent.table, Ids{0});
  EXPECT_EQ(cache.stats().cow_copies, 2);
  for (BlockId b : {0, 1, 2}) {
    EXPECT_EQ(cache.pool().ref_count(b), 1);
    for (int64_t r = 0; r < 3; ++r) EXPECT_EQ(row_at(cache, true, 1, b * kBlockSize + r)[0], pattern(1, r, 1, true));
  }
}

TEST(PagedKvCache, ForkAtABlockBoundaryCopiesNothing) {
  PagedKvCache cache(kShape, config(12));
  SequenceBlocks parent, child;
  ASSERT_TRUE(cache.allocate_slots(parent, 0, 8));
  cache.fork(parent, child);
  ASSERT_TRUE(cache.allocate_slots(child, 8, 9));  // writes start in a new block
  EXPECT_EQ(child.table, (Ids{0, 1, 2}));
  EXPECT_EQ(cache.stats().cow_copies, 0);
  EXPECT_EQ(cache.pool().ref_count(0), 2);
  EXPECT_EQ(cache.pool().ref_count(1), 2);
}

TEST(PagedKvCache, CopyOnWriteThatDoesNotFitChangesNothing) {
  PagedKvCache cache(kShape, config(2));
  SequenceBlocks parent, child;
  ASSERT_TRUE(cache.allocate_slots(parent, 0, 6));  // both blocks
  cache.fork(parent, child);
  EXPECT_FALSE(cache.allocate_slots(child, 6, 7));  // the copy needs a free block
  EXPECT_EQ(child.table, (Ids{0, 1}));
  EXPECT_EQ(cache.pool().ref_count(1), 2);
  EXPECT_EQ(cache.stats().cow_copies, 0);
  // Once the parent is gone the child owns block 1 alone and writes in place.
  cache.free(parent);
  EXPECT_TRUE(cache.allocate_slots(child, 6, 7));
  EXPECT_EQ(child.table, (Ids{0, 1}));
  EXPECT_EQ(cache.stats().cow_copies, 0);
}

TEST(PagedKvCache, FreeReleasesTheLastBlockFirstSoThePromptTailIsEvictedFirst) {
  PagedKvCache cache(kShape, config(3));
  const Tokens prompt = iota_tokens(12);
  SequenceBlocks a;
  ASSERT_TRUE(cache.allocate_slots(a, 0, 12));
  cache.cache_computed_blocks(a, prompt, 12);
  ASSERT_EQ(cache.stats().cached_blocks, 3);
  cache.free(a);
  EXPECT_TRUE(a.hashes.empty());
  EXPECT_EQ(a.num_registered, 0u);
  EXPECT_EQ(cache.stats().free_blocks, 3);
  EXPECT_EQ(cache.stats().cached_blocks, 3);

  // One unrelated block evicts the prompt's last block (2), not its head.
  SequenceBlocks other;
  ASSERT_TRUE(cache.allocate_slots(other, 0, 1));
  EXPECT_EQ(other.table, Ids{2});
  EXPECT_EQ(cache.stats().evictions, 1);
  EXPECT_EQ(cache.stats().cached_blocks, 2);

  // The prompt (plus one token) still finds its first two blocks.
  SequenceBlocks again;
  Ids hit;
  EXPECT_EQ(cache.find_cached_prefix(concat(prompt, {50}), again, hit), 8);
  EXPECT_EQ(hit, (Ids{0, 1}));
}

TEST(PagedKvCache, DecodeRegistersEachBlockOnceItFills) {
  PagedKvCache cache(kShape, config(12));
  Tokens tokens = iota_tokens(5);
  SequenceBlocks a;
  ASSERT_TRUE(admit(cache, a, tokens).fits);
  EXPECT_EQ(a.num_registered, 1u);
  // Three decode steps of one token each; the block fills at 8 tokens.
  for (int32_t next : {20, 21, 22}) {
    const auto n = static_cast<int64_t>(tokens.size());
    tokens.push_back(next);
    ASSERT_TRUE(cache.allocate_slots(a, n, n + 1));
    cache.cache_computed_blocks(a, tokens, n + 1);
  }
  EXPECT_EQ(a.table, (Ids{0, 1}));
  EXPECT_EQ(a.num_registered, 2u);
  const std::span<const int32_t> t(tokens);
  EXPECT_EQ(cache.pool().hash_of(1), std::optional<BlockHash>(hash_block(a.hashes[0], t.subspan(4, 4), 0)));
  // Another request with the decoded text as its prompt reuses both blocks.
  SequenceBlocks b;
  Ids hit;
  EXPECT_EQ(cache.find_cached_prefix(concat(tokens, {30}), b, hit), 8);
  EXPECT_EQ(hit, (Ids{0, 1}));
}

TEST(PagedKvCache, Stats) {
  PagedKvCache cache(kShape, config(6));
  EXPECT_EQ(KvStats{}.hit_rate(), 0.0);
  EXPECT_EQ(cache.stats().hit_rate(), 0.0);  // no queries yet
  const Tokens prompt = iota_tokens(9);
  SequenceBlocks a, b;
  admit(cache, a, prompt);  // 9 queried, 0 hit
  admit(cache, b, prompt);  // 9 queried, 8 hit
  KvStats s = cache.stats();
  EXPECT_EQ(s.n_blocks, 6);
  EXPECT_EQ(s.prefix_query_tokens, 18);
  EXPECT_EQ(s.prefix_hit_tokens, 8);
  EXPECT_DOUBLE_EQ(s.hit_rate(), 8.0 / 18.0);
  EXPECT_EQ(s.free_blocks, 2);  // a: 0 1 2, b: 0 1 3

  // A lookup alone is not counted: the scheduler repeats it for a request
  // that doesn't fit yet, and only the admitted one counts.
  SequenceBlocks waiting;
  Ids hit;
  ASSERT_EQ(cache.find_cached_prefix(prompt, waiting, hit), 8);
  EXPECT_FALSE(cache.allocate_slots(waiting, 8, 40, hit));
  EXPECT_EQ(cache.stats().prefix_query_tokens, 18);
  EXPECT_EQ(cache.stats().prefix_hit_tokens, 8);
  s = cache.stats();
  EXPECT_EQ(s.cached_blocks, 2);
  EXPECT_EQ(s.evictions, 0);
  EXPECT_EQ(s.cow_copies, 0);

  cache.free(a);
  cache.free(b);
  s = cache.stats();
  EXPECT_EQ(s.free_blocks, 6);  // cached blocks count as free
  EXPECT_EQ(s.cached_blocks, 2);
  // Queue: 4, 5, 2 (a's tail), 3 (b's tail), 1, 0. Five blocks evict the
  // cached block 1 but not block 0.
  SequenceBlocks big;
  ASSERT_TRUE(cache.allocate_slots(big, 0, 20));
  EXPECT_EQ(big.table, (Ids{4, 5, 2, 3, 1}));
  s = cache.stats();
  EXPECT_EQ(s.evictions, 1);
  EXPECT_EQ(s.cached_blocks, 1);
  EXPECT_EQ(s.free_blocks, 1);
}

TEST(PagedKvCache, MisuseIsAnError) {
  PagedKvCache cache(kShape, config(12));
  SequenceBlocks a, b;
  ASSERT_TRUE(cache.allocate_slots(a, 0, 5));
  Ids hit;
  EXPECT_THROW(cache.find_cached_prefix(iota_tokens(5), a, hit), Error);  // already has blocks
  ASSERT_TRUE(cache.allocate_slots(b, 0, 1));
  EXPECT_THROW(cache.fork(a, b), Error);  // child already has blocks
  EXPECT_EQ(cache.pool().ref_count(0), 1);
}

}  // namespace
}  // namespace pagoda::kv
