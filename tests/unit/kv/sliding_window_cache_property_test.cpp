// Property test of a hybrid PagedKvCache (sliding and full-attention layers
// interleaved, so two block groups): random engine operations (admit with a
// prefix lookup, decode a few tokens, fork, free, preempt and re-admit, an
// allocation that evicts), each followed, as in the engine, by
// release_outside_window. After every operation: each group's reference
// counts equal the live tables holding its blocks; a sliding table has
// released exactly the blocks its next query will not read; every position
// the next query reads holds its own sequence's KV, in the full layers all
// of them, in the sliding layers those inside the window; and every cached
// block of either group holds the prefix its hash stands for.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kv/paged_kv_cache.h"
#include "kv_test_rows.h"

namespace pagoda::kv {
namespace {

using Tokens = std::vector<int32_t>;

constexpr int kBlockSize = 4;
constexpr int64_t kWindow = 6;  // not a multiple of the block size

KvCacheShape hybrid_shape() {
  KvCacheShape s(4, 2, 4);  // kv_dim 8
  s.window = kWindow;
  s.sliding = {1, 0, 1, 0};
  return s;
}

struct Seq {
  SequenceBlocks blocks;
  Tokens tokens;  // all computed
};

class HybridCacheProperty : public testing::TestWithParam<uint32_t> {
 protected:
  HybridCacheProperty() : random_(GetParam()), cache_(hybrid_shape(), config()) {
    for (int i = 0; i < 3; ++i) shared_.push_back(random_tokens(14));
  }

  static KvCacheConfig config() {
    KvCacheConfig c;
    c.block_size = kBlockSize;
    c.n_blocks = 28;
    c.n_sliding_blocks = 12;
    c.type = KvType::F16;
    return c;
  }

  int64_t uniform(int64_t lo, int64_t hi) { return random_.uniform(lo, hi); }
  Tokens random_tokens(int64_t n) { return random_.tokens(n); }

  const std::vector<BlockId>& table(const Seq& s, int layer) const {
    return cache_.group_of(layer) == 0 ? s.blocks.table : s.blocks.sliding_table;
  }

  // Writes positions [from, to) of s in every layer, through its group's table.
  void compute(const Seq& s, int64_t from, int64_t to) {
    const auto states = test::prefix_states(s.tokens, static_cast<size_t>(to));
    const int64_t kv_dim = cache_.shape().kv_dim();
    for (int l = 0; l < cache_.shape().n_layer; ++l) {
      for (int64_t p = from; p < to; ++p) {
        const BlockId b = table(s, l).at(static_cast<size_t>(p / kBlockSize));
        ASSERT_NE(b, kReleasedBlock) << "writing position " << p << " into a released block";
        const size_t slot = static_cast<size_t>(b) * kBlockSize + static_cast<size_t>(p % kBlockSize);
        for (bool keys : {true, false}) {
          const auto row = test::expected_row(states[static_cast<size_t>(p)], l, keys, kv_dim);
          store_kv_row(cache_.type(), row.data(), kv_dim, (keys ? cache_.keys(l) : cache_.values(l)) + slot * cache_.row_bytes());
        }
      }
    }
  }

  // The engine's bookkeeping after a step: offer the full blocks, remember
  // which tokens each hash stands for, release behind the window.
  void after_step(Seq& s) {
    const auto n = static_cast<int64_t>(s.tokens.size());
    cache_.cache_computed_blocks(s.blocks, s.tokens, n);
    for (size_t i = 0; i < s.blocks.num_registered; ++i) {
      prefix_of_hash_.emplace(s.blocks.hashes.at(i),
                              Tokens(s.tokens.begin(), s.tokens.begin() + static_cast<std::ptrdiff_t>((i + 1) * kBlockSize)));
    }
    cache_.release_outside_window(s.blocks, n);
  }

  bool admit(const Tokens& prompt) {
    Seq s;
    s.tokens = prompt;
    std::vector<BlockId> hit;
    const int64_t cached = cache_.find_cached_prefix(prompt, s.blocks, hit);
    EXPECT_EQ(hit.size(), 2 * static_cast<size_t>(cached / kBlockSize));
    if (!cache_.allocate_slots(s.blocks, cached, static_cast<int64_t>(prompt.size()), hit)) {
      EXPECT_TRUE(s.blocks.table.empty() && s.blocks.sliding_table.empty()) << "refused admission took blocks";
      return false;
    }
    hit_tokens_ += cached;
    compute(s, cached, static_cast<int64_t>(prompt.size()));
    after_step(s);
    live_.push_back(std::move(s));
    return true;
  }

  size_t pick() { return static_cast<size_t>(uniform(0, static_cast<int64_t>(live_.size()) - 1)); }

  void op_new() {
    const Tokens& base = shared_[static_cast<size_t>(uniform(0, 2))];
    Tokens prompt(base.begin(), base.begin() + uniform(0, static_cast<int64_t>(base.size())));
    const Tokens tail = random_tokens(uniform(1, 6));
    prompt.insert(prompt.end(), tail.begin(), tail.end());
    admit(prompt);
  }

  void op_append() {
    if (live_.empty()) return;
    Seq& s = live_[pick()];
    const auto n = static_cast<int64_t>(s.tokens.size());
    const int64_t k = uniform(1, 4);
    if (!cache_.allocate_slots(s.blocks, n, n + k)) return;
    const Tokens more = random_tokens(k);
    s.tokens.insert(s.tokens.end(), more.begin(), more.end());
    compute(s, n, n + k);
    after_step(s);
  }

  void op_fork() {
    if (live_.empty() || live_.size() >= 8) return;
    const Seq& parent = live_[pick()];
    Seq child;
    child.tokens = parent.tokens;
    cache_.fork(parent.blocks, child.blocks);
    live_.push_back(std::move(child));
  }

  void op_free(bool readmit_later) {
    if (live_.empty()) return;
    const size_t i = pick();
    cache_.free(live_[i].blocks);
    if (readmit_later) preempted_.push_back(live_[i].tokens);
    live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  void op_readmit() {
    if (preempted_.empty()) return;
    const auto i = static_cast<size_t>(uniform(0, static_cast<int64_t>(preempted_.size()) - 1));
    if (admit(preempted_[i])) preempted_.erase(preempted_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  // One allocation as large as both pools allow: evicts free cached blocks.
  void op_evict() {
    const int64_t blocks = std::min(cache_.pool().num_free(), cache_.sliding_pool().num_free());
    if (blocks == 0) return;
    Seq s;
    for (int64_t i = 0; i < blocks * kBlockSize; ++i) s.tokens.push_back(static_cast<int32_t>(100 + next_unique_++));
    ASSERT_TRUE(cache_.allocate_slots(s.blocks, 0, blocks * kBlockSize));
    compute(s, 0, blocks * kBlockSize);
    after_step(s);
    cache_.free(s.blocks);
  }

  bool row_holds(int layer, BlockId b, int64_t row, uint64_t state) const {
    const int64_t kv_dim = cache_.shape().kv_dim();
    const size_t slot = static_cast<size_t>(b) * kBlockSize + static_cast<size_t>(row);
    for (bool keys : {true, false}) {
      std::vector<float> got(static_cast<size_t>(kv_dim));
      load_kv_elements(cache_.type(), (keys ? cache_.keys(layer) : cache_.values(layer)) + slot * cache_.row_bytes(), 0,
                       kv_dim, got.data());
      if (got != test::expected_row(state, layer, keys, kv_dim)) return false;
    }
    return true;
  }

  void check_invariants(const std::string& op) {
    SCOPED_TRACE("after " + op + " (step " + std::to_string(step_) + ")");
    const BlockPool* pools[2] = {&cache_.pool(), &cache_.sliding_pool()};
    for (int g = 0; g < 2; ++g) {
      std::vector<int> holders(static_cast<size_t>(pools[g]->size()), 0);
      for (const Seq& s : live_) {
        for (const BlockId b : g == 0 ? s.blocks.table : s.blocks.sliding_table) {
          if (b != kReleasedBlock) ++holders[static_cast<size_t>(b)];
        }
      }
      int64_t zero = 0;
      for (BlockId b = 0; b < pools[g]->size(); ++b) {
        ASSERT_EQ(pools[g]->ref_count(b), holders[static_cast<size_t>(b)]) << "group " << g << " block " << b;
        zero += holders[static_cast<size_t>(b)] == 0;
      }
      EXPECT_EQ(pools[g]->num_free(), zero) << "group " << g;
      // Cached blocks hold the prefix their hash stands for, in the group's layers.
      for (BlockId b = 0; b < pools[g]->size(); ++b) {
        const auto h = pools[g]->hash_of(b);
        if (!h) continue;
        const Tokens& prefix = prefix_of_hash_.at(*h);
        const auto states = test::prefix_states(prefix, prefix.size());
        for (int l = 0; l < cache_.shape().n_layer; ++l) {
          if (cache_.group_of(l) != g) continue;
          for (int64_t r = 0; r < kBlockSize; ++r) {
            ASSERT_TRUE(row_holds(l, b, r, states[prefix.size() - kBlockSize + static_cast<size_t>(r)]))
                << "cached block " << b << " of group " << g << " row " << r << " layer " << l;
          }
        }
      }
    }
    const KvStats st = cache_.stats();
    EXPECT_EQ(st.sliding_free_blocks, cache_.sliding_pool().num_free());

    for (const Seq& s : live_) {
      const auto n = static_cast<int64_t>(s.tokens.size());
      const auto blocks = static_cast<size_t>(cache_.blocks_for_tokens(n));
      ASSERT_EQ(s.blocks.table.size(), blocks);
      ASSERT_EQ(s.blocks.sliding_table.size(), blocks);
      // The next query (position n) reads n - window + 1 .. n - 1 from the cache.
      const int64_t first_read = std::max<int64_t>(0, n - kWindow + 1);
      for (size_t i = 0; i < blocks; ++i) {
        EXPECT_NE(s.blocks.table[i], kReleasedBlock) << "the full group released block index " << i;
        EXPECT_EQ(s.blocks.sliding_table[i] == kReleasedBlock, static_cast<int64_t>(i) < first_read / kBlockSize)
            << "sliding block index " << i << " of a sequence of " << n;
      }
      const auto states = test::prefix_states(s.tokens, s.tokens.size());
      for (int l = 0; l < cache_.shape().n_layer; ++l) {
        const bool slides = cache_.group_of(l) == 1;
        for (int64_t p = slides ? first_read : 0; p < n; ++p) {
          ASSERT_TRUE(row_holds(l, table(s, l)[static_cast<size_t>(p / kBlockSize)], p % kBlockSize,
                                states[static_cast<size_t>(p)]))
              << "position " << p << " of a sequence of " << n << ", layer " << l;
        }
      }
    }
  }

  test::TestRandom random_;
  PagedKvCache cache_;
  std::vector<Tokens> shared_;
  std::vector<Seq> live_;
  std::vector<Tokens> preempted_;
  std::map<BlockHash, Tokens> prefix_of_hash_;
  int64_t hit_tokens_ = 0;
  int64_t next_unique_ = 0;
  int step_ = 0;
};

TEST_P(HybridCacheProperty, RandomEngineOperationsKeepTheInvariants) {
  for (step_ = 0; step_ < 3000; ++step_) {
    const int64_t r = uniform(0, 99);
    std::string op;
    if (r < 25) op = "new", op_new();
    else if (r < 60) op = "append", op_append();
    else if (r < 68) op = "fork", op_fork();
    else if (r < 80) op = "free", op_free(false);
    else if (r < 88) op = "preempt", op_free(true);
    else if (r < 97) op = "readmit", op_readmit();
    else op = "evict", op_evict();
    check_invariants(op);
    if (HasFatalFailure()) return;
  }
  for (Seq& s : live_) cache_.free(s.blocks);
  EXPECT_EQ(cache_.pool().num_free(), cache_.pool().size());
  EXPECT_EQ(cache_.sliding_pool().num_free(), cache_.sliding_pool().size());
  EXPECT_GT(hit_tokens_, 0) << "no prefix hit was exercised";
  RecordProperty("hit_tokens", std::to_string(hit_tokens_));
}

INSTANTIATE_TEST_SUITE_P(Seeds, HybridCacheProperty, testing::Values(1u, 2u, 3u, 4u));

}  // namespace
}  // namespace pagoda::kv
