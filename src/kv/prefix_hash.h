#pragma once
// Content hashes of full KV blocks for the prefix cache: a chain, so a
// block's hash covers every token before it, and a salt so that different
// models (or adapters) never share blocks.
#include <cstdint>
#include <span>

#include "kv/block_pool.h"

namespace pagoda::kv {

BlockHash hash_block(BlockHash parent, std::span<const int32_t> tokens, uint64_t salt);

}  // namespace pagoda::kv
