#include "cli/engine_flags.h"

#include <cctype>
#include <cmath>
#include <fstream>

#include "core/error.h"
#include "engine/draft_proposer.h"

namespace pagoda::cli {
namespace {

int64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  int64_t kib = 0;
  std::string unit;
  while (in >> key >> kib >> unit) {
    if (key == "MemAvailable:") return kib * 1024;
  }
  fail("cannot read MemAvailable from /proc/meminfo; give --kv-cache-memory in bytes");
}

}  // namespace

const std::set<std::string>& engine_value_flags() {
  static const std::set<std::string> flags = {"--ctx-size",     "--kv-cache-memory", "--kv-cache-type",
                                              "--block-size",   "--max-num-batched-tokens",
                                              "--max-num-seqs", "--max-waiting", "--speculative",
                                              "--num-speculative-tokens", "--ngram-min", "--ngram-max",
                                              "--draft-model"};
  return flags;
}

const std::set<std::string>& engine_switches() {
  static const std::set<std::string> flags = {"--no-prefix-caching", "--no-adaptive-speculation"};
  return flags;
}

int64_t parse_memory_size(const std::string& text) {
  size_t used = 0;
  double value = 0;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
    fail("'", text, "' is not a memory size (examples: 2GiB, 512M, 0.25 for a quarter of the available memory)");
  }
  std::string unit = text.substr(used);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!std::isfinite(value) || value <= 0) fail("memory size '", text, "' must be positive");
  double scale = 1;
  if (unit.empty()) {
    if (value < 1) return static_cast<int64_t>(value * static_cast<double>(available_memory_bytes()));
  } else if (unit == "k" || unit == "kib" || unit == "kb") {
    scale = 1024.0;
  } else if (unit == "m" || unit == "mib" || unit == "mb") {
    scale = 1024.0 * 1024;
  } else if (unit == "g" || unit == "gib" || unit == "gb") {
    scale = 1024.0 * 1024 * 1024;
  } else {
    fail("unknown unit '", text.substr(used), "' in memory size '", text, "' (use K, M or G)");
  }
  return static_cast<int64_t>(value * scale);
}

engine::EngineConfig engine_config(const Args& args, int threads) {
  engine::EngineConfig c;
  c.threads = threads;
  c.max_model_len = args.integer("--ctx-size", 0);
  if (c.max_model_len < 0) fail("--ctx-size must be >= 0 (0: the model's context length)");
  if (args.has("--kv-cache-memory")) c.kv_cache_bytes = parse_memory_size(args.str("--kv-cache-memory", ""));
  c.kv_type = kv::parse_kv_type(args.str("--kv-cache-type", "f16"));
  c.block_size = static_cast<int>(args.integer("--block-size", c.block_size));
  if (c.block_size < 1 || c.block_size > 1024) fail("--block-size must be in 1..1024");
  c.max_num_batched_tokens = args.integer("--max-num-batched-tokens", c.max_num_batched_tokens);
  if (c.max_num_batched_tokens < 1) fail("--max-num-batched-tokens must be >= 1");
  const int64_t seqs = args.integer("--max-num-seqs", c.max_num_seqs);
  if (seqs < 1 || seqs > 65536) fail("--max-num-seqs must be in 1..65536");
  c.max_num_seqs = static_cast<int>(seqs);
  c.max_waiting = args.integer("--max-waiting", c.max_waiting);
  if (c.max_waiting < 0) fail("--max-waiting must be >= 0");
  c.prefix_caching = !args.has("--no-prefix-caching");
  const std::string spec = args.str("--speculative", args.has("--draft-model") ? "draft" : "none");
  if (spec == "ngram") c.speculative.mode = engine::SpeculativeConfig::Mode::Ngram;
  else if (spec == "draft") c.speculative.mode = engine::SpeculativeConfig::Mode::Draft;
  else if (spec != "none") fail("--speculative must be none, ngram or draft, got '", spec, "'");
  if ((c.speculative.mode == engine::SpeculativeConfig::Mode::Draft) != args.has("--draft-model")) {
    fail("--draft-model FILE goes with --speculative draft (the default when --draft-model is given)");
  }
  c.speculative.num_tokens = static_cast<int>(args.integer("--num-speculative-tokens", c.speculative.num_tokens));
  c.speculative.adaptive = !args.has("--no-adaptive-speculation");
  c.speculative.ngram_min = static_cast<int>(args.integer("--ngram-min", c.speculative.ngram_min));
  c.speculative.ngram_max = static_cast<int>(args.integer("--ngram-max", c.speculative.ngram_max));
  if (c.speculative.num_tokens < 1 || c.speculative.num_tokens > 64) fail("--num-speculative-tokens must be in 1..64");
  if (c.speculative.ngram_min < 1 || c.speculative.ngram_max < c.speculative.ngram_min) {
    fail("--ngram-min must be >= 1 and --ngram-max >= --ngram-min");
  }
  return c;
}

std::unique_ptr<model::Model> load_draft_model(const Args& args, engine::EngineConfig& config,
                                               const model::Model& target) {
  if (config.speculative.mode != engine::SpeculativeConfig::Mode::Draft) return nullptr;
  auto draft = model::Model::load(args.str("--draft-model", ""));
  engine::check_same_vocabulary(target, *draft);
  config.speculative.draft_model = draft.get();
  return draft;
}

}  // namespace pagoda::cli
