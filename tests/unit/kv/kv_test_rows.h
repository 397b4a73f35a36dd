#pragma once
// Position contents for the KV-cache property tests: each computed position
// is written with a row derived from the whole token prefix up to it (as
// real keys and values depend on every earlier token), so a wrong prefix
// hit, a missed copy-on-write or a block reused while still shared shows up
// as a row with the wrong content.
#include <cstdint>
#include <random>
#include <vector>

namespace pagoda::kv::test {

inline uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// state[p] summarises tokens[0..p]: the "meaning" of position p.
inline std::vector<uint64_t> prefix_states(const std::vector<int32_t>& tokens, size_t n) {
  std::vector<uint64_t> s(n);
  uint64_t r = 0;
  for (size_t p = 0; p < n; ++p) s[p] = r = mix64(r ^ (static_cast<uint64_t>(static_cast<uint32_t>(tokens[p])) << 8));
  return s;
}

// The row a position with this prefix state holds: small integers, so they
// are exact in F16 as well as F32.
inline std::vector<float> expected_row(uint64_t state, int layer, bool keys, int64_t kv_dim) {
  std::vector<float> row(static_cast<size_t>(kv_dim));
  for (size_t i = 0; i < row.size(); ++i) {
    const uint64_t h = mix64(state + static_cast<uint64_t>(layer) * 1000 + (keys ? 0 : 500) + i);
    row[i] = static_cast<float>(static_cast<int64_t>(h >> 54) - 512);
  }
  return row;
}

// The property tests' random source: integers, and tokens over a 4-token
// vocabulary so that prefixes repeat.
class TestRandom {
 public:
  explicit TestRandom(uint32_t seed) : rng_(seed) {}
  int64_t uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng_); }
  std::vector<int32_t> tokens(int64_t n) {
    std::vector<int32_t> t(static_cast<size_t>(n));
    for (int32_t& x : t) x = static_cast<int32_t>(uniform(0, 3));
    return t;
  }

 private:
  std::mt19937 rng_;
};

}  // namespace pagoda::kv::test
