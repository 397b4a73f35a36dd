#pragma once
// The engine flags that `pagoda run`, `bench` and `serve` share, with
// vLLM's names where it has them.
#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "cli/args.h"
#include "engine/engine_config.h"
#include "model/model.h"

namespace pagoda::cli {

// --ctx-size (-c), --kv-cache-memory, --kv-cache-type, --block-size,
// --max-num-batched-tokens, --max-num-seqs, --max-waiting, --speculative
// none|ngram|draft, --draft-model FILE, --num-speculative-tokens, --ngram-min, --ngram-max.
const std::set<std::string>& engine_value_flags();
// --no-prefix-caching, --no-adaptive-speculation.
const std::set<std::string>& engine_switches();

// The engine settings from the flags (defaults where absent).
engine::EngineConfig engine_config(const Args& args, int threads);

// With --draft-model: loads it, checks its vocabulary against the target's
// and points config.speculative at it (the caller keeps it alive); null otherwise.
std::unique_ptr<model::Model> load_draft_model(const Args& args, engine::EngineConfig& config,
                                               const model::Model& target);

// "2GiB", "512MiB", "1.5G", "300M", "4096" (bytes) or a fraction of the
// available memory such as "0.25"; pagoda::Error otherwise.
int64_t parse_memory_size(const std::string& text);

}  // namespace pagoda::cli
