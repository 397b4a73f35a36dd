#pragma once
// The engine flags that `pagoda run`, `bench` and `serve` share, with
// vLLM's names where it has them.
#include <cstdint>
#include <set>
#include <string>

#include "cli/args.h"
#include "engine/engine_config.h"

namespace pagoda::cli {

// --ctx-size (-c), --kv-cache-memory, --kv-cache-type, --block-size,
// --max-num-batched-tokens, --max-num-seqs, --max-waiting, --speculative
// none|ngram, --num-speculative-tokens, --ngram-min, --ngram-max.
const std::set<std::string>& engine_value_flags();
// --no-prefix-caching.
const std::set<std::string>& engine_switches();

// The engine settings from the flags (defaults where absent).
engine::EngineConfig engine_config(const Args& args, int threads);

// "2GiB", "512MiB", "1.5G", "300M", "4096" (bytes) or a fraction of the
// available memory such as "0.25"; pagoda::Error otherwise.
int64_t parse_memory_size(const std::string& text);

}  // namespace pagoda::cli
