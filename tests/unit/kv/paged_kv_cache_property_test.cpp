// Property test of PagedKvCache: thousands of random scheduler operations on
// a small pool, with every invariant of the block bookkeeping and of the
// stored KV checked after each one.
//
// The operations are what the engine does: admit a new sequence (prefix
// lookup + allocate_slots, prompts drawn from a few shared prefixes over a
// 4-token vocabulary so prefixes repeat), fork (n > 1 samples), append a few
// decoded tokens, free a finished sequence, evict (one allocation that takes
// every free block, cached ones included) and preempt (free a running
// sequence, re-admit it later from its tokens, recomputing what the cache
// lost).
//
// Each "computed" position is written with a value derived from the whole
// token prefix up to it (as real keys and values depend on every earlier
// token), so a wrong prefix hit, a missed copy-on-write or a block reused
// while still shared shows up as a row with the wrong content.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "kv/paged_kv_cache.h"
#include "kv/prefix_hash.h"
#include "kv_test_rows.h"

namespace pagoda::kv {
namespace {

using Ids = std::vector<BlockId>;
using Tokens = std::vector<int32_t>;

constexpr int kBlockSize = 4;
constexpr uint64_t kSalt = 0x5a17;
const KvCacheShape kShape{2, 2, 4};  // 2 layers, kv_dim 8

using test::prefix_states;

std::vector<float> expected_row(uint64_t state, int layer, bool keys) {
  return test::expected_row(state, layer, keys, kShape.kv_dim());
}

struct Param {
  uint32_t seed;
  int64_t n_blocks;
  KvType type;
  bool prefix_caching;
  int ops;
};

// gtest prints parameters with this (instead of the struct's raw bytes).
void PrintTo(const Param& p, std::ostream* os) {
  *os << "seed " << p.seed << ", " << p.n_blocks << " blocks, " << kv_type_name(p.type)
      << (p.prefix_caching ? ", prefix caching, " : ", no prefix caching, ") << p.ops << " ops";
}

std::string param_name(const testing::TestParamInfo<Param>& info) {
  const Param& p = info.param;
  return "seed" + std::to_string(p.seed) + "_blocks" + std::to_string(p.n_blocks) + "_" + kv_type_name(p.type) +
         (p.prefix_caching ? "" : "_nocache");
}

// Everything observable about the pool and one sequence, to show that a
// refused allocate_slots changed nothing.
struct Snapshot {
  std::vector<int> refs;
  std::vector<std::optional<BlockHash>> hashes;
  Ids free_queue;
  int64_t evictions, cow_copies;
  SequenceBlocks seq;
  bool operator==(const Snapshot& o) const {
    return refs == o.refs && hashes == o.hashes && free_queue == o.free_queue && evictions == o.evictions &&
           cow_copies == o.cow_copies && seq.table == o.seq.table && seq.hashes == o.seq.hashes &&
           seq.num_registered == o.seq.num_registered;
  }
};

// The free queue in order, read off a copy of the pool.
Ids free_queue_of(const BlockPool& pool) {
  BlockPool copy = pool;
  Ids out;
  EXPECT_TRUE(copy.allocate(copy.num_free(), out));
  return out;
}

class PagedKvCacheProperty : public testing::TestWithParam<Param> {
 public:  // the test body takes member pointers to the operations
  struct Seq {
    SequenceBlocks blocks;
    Tokens tokens;  // all computed: every position in tokens has its KV written
  };

  PagedKvCacheProperty() : p_(GetParam()), random_(p_.seed), cache_(kShape, make_config(p_)) {
    for (int i = 0; i < 3; ++i) shared_prefixes_.push_back(random_tokens(12));
  }

  static KvCacheConfig make_config(const Param& p) {
    KvCacheConfig c;
    c.block_size = kBlockSize;
    c.n_blocks = p.n_blocks;
    c.type = p.type;
    c.prefix_caching = p.prefix_caching;
    c.salt = kSalt;
    return c;
  }

  int64_t uniform(int64_t lo, int64_t hi) { return random_.uniform(lo, hi); }
  Tokens random_tokens(int64_t n) { return random_.tokens(n); }

  // A prompt: some of a shared prefix, then a short random tail.
  Tokens random_prompt() {
    const Tokens& shared = shared_prefixes_[static_cast<size_t>(uniform(0, 2))];
    Tokens t(shared.begin(), shared.begin() + uniform(0, static_cast<int64_t>(shared.size())));
    const Tokens tail = random_tokens(uniform(1, 8));
    t.insert(t.end(), tail.begin(), tail.end());
    return t;
  }

  Snapshot snapshot(const SequenceBlocks& seq) const {
    Snapshot s;
    const BlockPool& pool = cache_.pool();
    for (BlockId b = 0; b < pool.size(); ++b) {
      s.refs.push_back(pool.ref_count(b));
      s.hashes.push_back(pool.hash_of(b));
    }
    s.free_queue = free_queue_of(pool);
    s.evictions = cache_.stats().evictions;
    s.cow_copies = cache_.stats().cow_copies;
    s.seq = seq;
    return s;
  }

  // Blocks at or after the first written position that someone else also
  // holds: each needs a copy.
  int64_t shared_from(const SequenceBlocks& seq, int64_t num_computed) const {
    int64_t n = 0;
    for (size_t i = static_cast<size_t>(num_computed / kBlockSize); i < seq.table.size(); ++i)
      n += cache_.pool().ref_count(seq.table[i]) > 1;
    return n;
  }

  // Writes the KV rows of positions [from, to) of seq.
  void compute(const Seq& seq, int64_t from, int64_t to) {
    const auto states = prefix_states(seq.tokens, static_cast<size_t>(to));
    for (int64_t p = from; p < to; ++p) {
      const int64_t slot = seq.blocks.table.at(static_cast<size_t>(p / kBlockSize)) * kBlockSize + p % kBlockSize;
      for (int l = 0; l < kShape.n_layer; ++l) {
        for (bool keys : {true, false}) {
          uint8_t* base = keys ? cache_.keys(l) : cache_.values(l);
          const auto row = expected_row(states[static_cast<size_t>(p)], l, keys);
          store_kv_row(cache_.type(), row.data(), kShape.kv_dim(), base + static_cast<size_t>(slot) * cache_.row_bytes());
        }
      }
    }
  }

  // Offers seq's computed full blocks to the prefix cache and remembers which
  // token prefix each registered hash stands for.
  void cache_blocks(Seq& seq) {
    cache_.cache_computed_blocks(seq.blocks, seq.tokens, static_cast<int64_t>(seq.tokens.size()));
    for (size_t i = 0; i < seq.blocks.num_registered; ++i) {
      const Tokens prefix(seq.tokens.begin(), seq.tokens.begin() + static_cast<std::ptrdiff_t>((i + 1) * kBlockSize));
      const auto [it, added] = prefix_of_hash_.emplace(seq.blocks.hashes.at(i), prefix);
      if (!added) { ASSERT_EQ(it->second, prefix) << "hash collision"; }
    }
  }

  // find_cached_prefix + allocate_slots + compute, as the scheduler admits a
  // request. Returns false (the sequence left blockless) when it doesn't fit.
  bool admit(const Tokens& prompt) {
    Seq seq;
    seq.tokens = prompt;
    Ids hit;
    const int64_t hit_tokens = cache_.find_cached_prefix(prompt, seq.blocks, hit);
    const auto n = static_cast<int64_t>(prompt.size());

    // The hit: whole blocks, never the last token, each block holding this
    // prompt's chain hash, and as long as the cache allows.
    EXPECT_EQ(hit_tokens % kBlockSize, 0);
    EXPECT_EQ(static_cast<int64_t>(hit.size()) * kBlockSize, hit_tokens);
    EXPECT_LE(hit_tokens, std::max<int64_t>(0, n - 1));
    if (!p_.prefix_caching) { EXPECT_EQ(hit_tokens, 0); }
    const auto chain = chain_hashes(prompt, prompt.size() / kBlockSize);
    if (p_.prefix_caching) { EXPECT_EQ(seq.blocks.hashes, chain); }
    for (size_t i = 0; i < hit.size(); ++i) EXPECT_EQ(cache_.pool().hash_of(hit[i]), std::optional<BlockHash>(chain[i]));
    const size_t max_blocks = prompt.empty() ? 0 : (prompt.size() - 1) / kBlockSize;
    if (p_.prefix_caching && hit.size() < max_blocks) { EXPECT_FALSE(cache_.pool().lookup(chain[hit.size()]).has_value()); }

    // Fits iff the fresh blocks fit in what is free once the free hits are taken.
    int64_t revived = 0;
    for (BlockId b : hit) revived += cache_.pool().ref_count(b) == 0;
    const int64_t fresh = cache_.blocks_for_tokens(n) - static_cast<int64_t>(hit.size());
    const bool should_fit = fresh <= cache_.pool().num_free() - revived;

    const Snapshot before = snapshot(seq.blocks);
    const bool fits = cache_.allocate_slots(seq.blocks, hit_tokens, n, hit);
    EXPECT_EQ(fits, should_fit) << "fresh " << fresh << " free " << cache_.pool().num_free() << " revived " << revived;
    if (!fits) {
      EXPECT_TRUE(snapshot(seq.blocks) == before) << "refused admission changed the pool";
      EXPECT_TRUE(seq.blocks.table.empty());
      return false;
    }
    EXPECT_EQ(static_cast<int64_t>(seq.blocks.table.size()), cache_.blocks_for_tokens(n));
    EXPECT_TRUE(std::equal(hit.begin(), hit.end(), seq.blocks.table.begin()));
    // Only the admitted lookup counts in the hit rate.
    cache_.record_prefix_lookup(n, hit_tokens);
    expected_query_ += n;
    expected_hit_ += hit_tokens;
    compute(seq, hit_tokens, n);
    cache_blocks(seq);
    live_.push_back(std::move(seq));
    return true;
  }

  std::vector<BlockHash> chain_hashes(const Tokens& tokens, size_t n_blocks) const {
    std::vector<BlockHash> out;
    const std::span<const int32_t> t(tokens);
    for (size_t i = 0; i < n_blocks; ++i)
      out.push_back(hash_block(i ? out.back() : 0, t.subspan(i * kBlockSize, kBlockSize), kSalt));
    return out;
  }

  size_t pick_live() { return static_cast<size_t>(uniform(0, static_cast<int64_t>(live_.size()) - 1)); }

  void op_new() { admit(random_prompt()); }

  void op_fork() {
    if (live_.empty() || live_.size() >= 24) return;
    const Seq& parent = live_[pick_live()];
    Seq child;
    child.tokens = parent.tokens;
    cache_.fork(parent.blocks, child.blocks);
    live_.push_back(std::move(child));
  }

  // A few decode steps at once: room for k more tokens, their KV written,
  // newly filled blocks offered to the cache.
  void op_append() {
    if (live_.empty()) return;
    Seq& seq = live_[pick_live()];
    const auto computed = static_cast<int64_t>(seq.tokens.size());
    const int64_t k = uniform(1, 5);
    const int64_t copies = shared_from(seq.blocks, computed);
    const int64_t fresh = std::max<int64_t>(0, cache_.blocks_for_tokens(computed + k) - static_cast<int64_t>(seq.blocks.table.size()));
    const bool should_fit = fresh + copies <= cache_.pool().num_free();
    const Snapshot before = snapshot(seq.blocks);
    const bool fits = cache_.allocate_slots(seq.blocks, computed, computed + k);
    ASSERT_EQ(fits, should_fit);
    if (!fits) {
      EXPECT_TRUE(snapshot(seq.blocks) == before) << "refused append changed the pool";
      return;
    }
    expected_cow_ += copies;
    EXPECT_EQ(static_cast<int64_t>(seq.blocks.table.size()), cache_.blocks_for_tokens(computed + k));
    // Every block the append writes into is now private to this sequence.
    for (size_t i = static_cast<size_t>(computed / kBlockSize); i < seq.blocks.table.size(); ++i)
      EXPECT_EQ(cache_.pool().ref_count(seq.blocks.table[i]), 1) << "block index " << i;
    const Tokens more = random_tokens(k);
    seq.tokens.insert(seq.tokens.end(), more.begin(), more.end());
    compute(seq, computed, computed + k);
    cache_blocks(seq);
  }

  void op_free() {
    if (live_.empty()) return;
    const size_t i = pick_live();
    cache_.free(live_[i].blocks);
    EXPECT_TRUE(live_[i].blocks.table.empty());
    live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  // One allocation of every free block: evicts every free cached block.
  void op_evict() {
    const int64_t free = cache_.pool().num_free();
    if (free == 0) return;
    int64_t cached_free = 0;
    for (BlockId b = 0; b < cache_.pool().size(); ++b)
      cached_free += cache_.pool().ref_count(b) == 0 && cache_.pool().hash_of(b).has_value();
    const int64_t evictions = cache_.stats().evictions, cached = cache_.stats().cached_blocks;
    // Tokens outside the vocabulary: a prompt nothing else shares.
    Seq seq;
    for (int64_t i = 0; i < free * kBlockSize; ++i) seq.tokens.push_back(static_cast<int32_t>(100 + next_unique_++));
    ASSERT_TRUE(cache_.allocate_slots(seq.blocks, 0, free * kBlockSize));
    EXPECT_EQ(cache_.pool().num_free(), 0);
    EXPECT_EQ(cache_.stats().evictions - evictions, cached_free);
    EXPECT_EQ(cache_.stats().cached_blocks, cached - cached_free);
    compute(seq, 0, free * kBlockSize);
    cache_blocks(seq);
    if (uniform(0, 1)) cache_.free(seq.blocks);
    else live_.push_back(std::move(seq));
  }

  // Preemption: the sequence gives its blocks back now and is re-admitted
  // later from its tokens (what the cache kept is a hit, the rest recomputed).
  void op_preempt() {
    if (live_.empty()) return;
    const size_t i = pick_live();
    cache_.free(live_[i].blocks);
    preempted_.push_back(std::move(live_[i].tokens));
    live_.erase(live_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  void op_readmit() {
    if (preempted_.empty()) return;
    const auto i = static_cast<size_t>(uniform(0, static_cast<int64_t>(preempted_.size()) - 1));
    if (admit(preempted_[i])) preempted_.erase(preempted_.begin() + static_cast<std::ptrdiff_t>(i));
  }

  void check_rows(BlockId block, int64_t row, uint64_t state, const std::string& what) {
    const int64_t slot = block * kBlockSize + row;
    for (int l = 0; l < kShape.n_layer; ++l) {
      for (bool keys : {true, false}) {
        const uint8_t* base = keys ? cache_.keys(l) : cache_.values(l);
        std::vector<float> got(static_cast<size_t>(kShape.kv_dim()));
        load_kv_elements(cache_.type(), base + static_cast<size_t>(slot) * cache_.row_bytes(), 0, kShape.kv_dim(), got.data());
        if (got != expected_row(state, l, keys)) {
          ADD_FAILURE() << what << ": block " << block << " row " << row << " layer " << l << (keys ? " keys" : " values")
                        << " hold another position's KV";
          return;
        }
      }
    }
  }

  void check_invariants(const char* op) {
    SCOPED_TRACE(std::string("after ") + op + " (step " + std::to_string(step_) + ")");
    const BlockPool& pool = cache_.pool();
    const int64_t n = pool.size();

    // Reference counts are exactly the number of live tables holding a block,
    // and no table holds a block twice.
    std::vector<int> holders(static_cast<size_t>(n), 0);
    for (const Seq& s : live_) {
      std::set<BlockId> distinct(s.blocks.table.begin(), s.blocks.table.end());
      EXPECT_EQ(distinct.size(), s.blocks.table.size()) << "a table holds a block twice";
      for (BlockId b : s.blocks.table) {
        ASSERT_GE(b, 0);
        ASSERT_LT(b, n);
        ++holders[static_cast<size_t>(b)];
      }
    }
    int64_t zero = 0, with_hash = 0;
    for (BlockId b = 0; b < n; ++b) {
      EXPECT_EQ(pool.ref_count(b), holders[static_cast<size_t>(b)]) << "block " << b;
      zero += pool.ref_count(b) == 0;
    }
    EXPECT_EQ(pool.num_free(), zero);

    // The free queue holds exactly the unreferenced blocks, each once: no
    // block is both free and referenced.
    const Ids queue = free_queue_of(pool);
    const std::set<BlockId> queued(queue.begin(), queue.end());
    EXPECT_EQ(queued.size(), queue.size()) << "a block is queued twice";
    for (BlockId b = 0; b < n; ++b) EXPECT_EQ(queued.count(b) == 1, pool.ref_count(b) == 0) << "block " << b;

    // The prefix index and the blocks' hashes agree, and each cached block
    // (held or free) still holds the KV of the prefix its hash stands for.
    for (BlockId b = 0; b < n; ++b) {
      const std::optional<BlockHash> h = pool.hash_of(b);
      if (!h) continue;
      ++with_hash;
      EXPECT_EQ(pool.lookup(*h), std::optional<BlockId>(b)) << "block " << b;
      const auto it = prefix_of_hash_.find(*h);
      if (it == prefix_of_hash_.end()) {
        ADD_FAILURE() << "block " << b << " has a hash no sequence registered";
        continue;
      }
      const auto states = prefix_states(it->second, it->second.size());
      for (int64_t r = 0; r < kBlockSize; ++r)
        check_rows(b, r, states[it->second.size() - kBlockSize + static_cast<size_t>(r)], "cached block");
    }
    // With lookup(hash_of(b)) == b for each of them, an index of the same
    // size holds nothing else.
    EXPECT_EQ(pool.num_cached(), with_hash);
    if (!p_.prefix_caching) { EXPECT_EQ(with_hash, 0); }

    // Each live sequence: its table covers its tokens, its KV is its own, and
    // a cached block in it sits where its chain hash says.
    for (const Seq& s : live_) {
      const auto computed = static_cast<int64_t>(s.tokens.size());
      ASSERT_EQ(static_cast<int64_t>(s.blocks.table.size()), cache_.blocks_for_tokens(computed));
      const size_t full = static_cast<size_t>(computed / kBlockSize);
      EXPECT_EQ(s.blocks.num_registered, p_.prefix_caching ? full : 0u);
      const auto chain = chain_hashes(s.tokens, std::min(full, s.blocks.hashes.size()));
      EXPECT_TRUE(std::equal(chain.begin(), chain.end(), s.blocks.hashes.begin())) << "stale sequence hashes";
      for (size_t i = 0; i < s.blocks.table.size(); ++i) {
        if (const auto h = pool.hash_of(s.blocks.table[i])) {
          EXPECT_LT(i, full) << "a partial block is cached";
          if (i < chain.size()) { EXPECT_EQ(*h, chain[i]) << "block index " << i; }
        }
      }
      const auto states = prefix_states(s.tokens, s.tokens.size());
      for (int64_t p = 0; p < computed; ++p)
        check_rows(s.blocks.table[static_cast<size_t>(p / kBlockSize)], p % kBlockSize, states[static_cast<size_t>(p)],
                   "live sequence position " + std::to_string(p));
    }

    // Stats agree with what the test observed.
    const KvStats st = cache_.stats();
    EXPECT_EQ(st.n_blocks, n);
    EXPECT_EQ(st.free_blocks, zero);
    EXPECT_EQ(st.cached_blocks, with_hash);
    EXPECT_EQ(st.prefix_query_tokens, expected_query_);
    EXPECT_EQ(st.prefix_hit_tokens, expected_hit_);
    EXPECT_EQ(st.cow_copies, expected_cow_);
    EXPECT_GE(st.evictions, last_evictions_);
    last_evictions_ = st.evictions;
  }

  Param p_;
  test::TestRandom random_;
  PagedKvCache cache_;
  std::vector<Tokens> shared_prefixes_;
  std::vector<Seq> live_;
  std::vector<Tokens> preempted_;
  std::map<BlockHash, Tokens> prefix_of_hash_;  // registered hash -> tokens through its block
  int64_t expected_query_ = 0, expected_hit_ = 0, expected_cow_ = 0, last_evictions_ = 0;
  int64_t next_unique_ = 0;
  int step_ = 0;
};

TEST_P(PagedKvCacheProperty, RandomSchedulerOperationsKeepTheInvariants) {
  struct Op {
    const char* name;
    int weight;
    void (PagedKvCacheProperty::*run)();
  };
  const std::vector<Op> ops = {
      {"new", 25, &PagedKvCacheProperty::op_new},         {"fork", 10, &PagedKvCacheProperty::op_fork},
      {"append", 30, &PagedKvCacheProperty::op_append},   {"free", 12, &PagedKvCacheProperty::op_free},
      {"evict", 3, &PagedKvCacheProperty::op_evict},      {"preempt", 8, &PagedKvCacheProperty::op_preempt},
      {"readmit", 12, &PagedKvCacheProperty::op_readmit},
  };
  int total = 0;
  for (const Op& o : ops) total += o.weight;
  std::map<std::string, int> ran;
  for (step_ = 0; step_ < p_.ops; ++step_) {
    int64_t r = uniform(0, total - 1);
    const Op* op = &ops.front();
    for (const Op& o : ops) {
      if (r < o.weight) {
        op = &o;
        break;
      }
      r -= o.weight;
    }
    (this->*op->run)();
    ++ran[op->name];
    check_invariants(op->name);
    if (HasFailure()) return;  // the first broken invariant is the useful one
  }

  // The mix exercised what it should: sharing, copying and eviction happened.
  const KvStats st = cache_.stats();
  EXPECT_GT(st.cow_copies, 0);
  if (p_.prefix_caching) {
    EXPECT_GT(st.prefix_hit_tokens, 0);
    EXPECT_GT(st.evictions, 0);
  }

  // Every sequence ends: all blocks are free (cached ones included) and
  // nothing holds a reference.
  while (!live_.empty()) op_free();
  preempted_.clear();
  check_invariants("all freed");
  EXPECT_EQ(cache_.pool().num_free(), cache_.pool().size());
  for (BlockId b = 0; b < cache_.pool().size(); ++b) EXPECT_EQ(cache_.pool().ref_count(b), 0) << "block " << b;
  EXPECT_EQ(free_queue_of(cache_.pool()).size(), static_cast<size_t>(cache_.pool().size()));
  // For a look at the mix in the XML report (--gtest_output=xml).
  for (const auto& [name, count] : ran) RecordProperty(name, count);
  RecordProperty("cow_copies", std::to_string(st.cow_copies));
  RecordProperty("evictions", std::to_string(st.evictions));
  RecordProperty("hit_tokens", std::to_string(st.prefix_hit_tokens));
  RecordProperty("query_tokens", std::to_string(st.prefix_query_tokens));
}

INSTANTIATE_TEST_SUITE_P(Seeds, PagedKvCacheProperty,
                         testing::Values(Param{1, 12, KvType::F32, true, 4000}, Param{2, 16, KvType::F32, true, 4000},
                                         Param{3, 24, KvType::F16, true, 4000}, Param{4, 32, KvType::F32, true, 4000},
                                         Param{5, 40, KvType::F16, true, 4000}, Param{6, 13, KvType::F32, true, 4000},
                                         Param{7, 20, KvType::F32, false, 3000}),
                         param_name);

}  // namespace
}  // namespace pagoda::kv
