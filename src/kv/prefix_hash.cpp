#include "kv/prefix_hash.h"

namespace pagoda::kv {
namespace {

// splitmix64's finaliser: a bijective mixer, so distinct inputs of one step
// never collide and the 64-bit chain behaves like a random function.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

}  // namespace

BlockHash hash_block(BlockHash parent, std::span<const int32_t> tokens, uint64_t salt) {
  // Chained, not XORed, so no two (parent, salt) pairs can cancel out.
  uint64_t h = mix(mix(parent ^ 0x9e3779b97f4a7c15ULL) + salt + 0x632be59bd9b4e019ULL);
  for (const int32_t t : tokens) h = mix(h + static_cast<uint32_t>(t) + 0x9e3779b97f4a7c15ULL);
  return mix(h ^ tokens.size());
}

}  // namespace pagoda::kv
