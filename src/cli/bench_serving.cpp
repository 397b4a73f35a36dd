#include "cli/bench_serving.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "cli/bench_common.h"
#include "cli/engine_flags.h"
#include "core/error.h"
#include "engine/engine.h"
#include "tokenizer/tokenizer.h"

namespace pagoda::cli {
namespace {

using namespace bench;
using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Nearest-rank percentile.
double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

double mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / static_cast<double>(v.size());
}

struct LevelResult {
  double output_tokens_per_s = 0;
  std::vector<double> ttft_ms, tpot_ms;
  double hit_rate = 0;
  int64_t max_running = 0;
  int64_t preemptions = 0;
  int64_t kv_bytes = 0;
  double decode_tokens_per_s = 0;  // over decode-only steps (engine stats)
  int64_t spec_proposed = 0, spec_accepted = 0;
};

struct Timeline {
  Clock::time_point submitted, first, last;
  int64_t tokens = 0;
};

// Reads one stream to its end, noting when tokens arrive.
void follow(engine::RequestStream& stream, Timeline& t) {
  while (std::optional<engine::Delta> d = stream.next()) {
    if (d->token_ids.empty()) continue;
    const auto now = Clock::now();
    if (t.tokens == 0) t.first = now;
    t.last = now;
    t.tokens += static_cast<int64_t>(d->token_ids.size());
  }
}

LevelResult run_level(model::Model& model, const tokenizer::Tokenizer& tok, const engine::EngineConfig& config,
                      int concurrency, int64_t n_prompt, int64_t n_gen, int64_t shared) {
  engine::Engine engine(model, &tok, config);
  const int64_t n_vocab = model.hparams().n_vocab;
  const std::vector<int32_t> prefix = random_tokens(shared, n_vocab);
  std::vector<engine::Request> requests(static_cast<size_t>(concurrency));
  for (int i = 0; i < concurrency; ++i) {
    engine::Request& r = requests[static_cast<size_t>(i)];
    r.prompt = prefix;
    const std::vector<int32_t> tail = random_tokens(n_prompt - shared, n_vocab, kTokenSeed + 1 + static_cast<uint64_t>(i));
    r.prompt.insert(r.prompt.end(), tail.begin(), tail.end());
    r.max_tokens = n_gen;
    r.ignore_eos = true;
    r.sampling.temperature = 0.0f;
  }
  std::vector<Timeline> timelines(static_cast<size_t>(concurrency));
  std::vector<std::thread> readers;
  const auto start = Clock::now();
  for (int i = 0; i < concurrency; ++i) {
    Timeline& t = timelines[static_cast<size_t>(i)];
    t.submitted = Clock::now();
    auto stream = engine.submit(requests[static_cast<size_t>(i)]);
    if (i == 0 && shared > 0) {
      // The first request fills the cache with the shared prefix; the rest
      // arrive once it has (its first token proves the prompt is computed).
      std::optional<engine::Delta> d = stream->next();
      t.first = t.last = Clock::now();
      t.tokens = d ? static_cast<int64_t>(d->token_ids.size()) : 0;
    }
    readers.emplace_back([stream, &t] { follow(*stream, t); });
  }
  for (auto& r : readers) r.join();
  Clock::time_point end = start;
  LevelResult result;
  int64_t total = 0;
  for (const Timeline& t : timelines) {
    end = std::max(end, t.last);
    total += t.tokens;
    result.ttft_ms.push_back(ms_between(t.submitted, t.first));
    if (t.tokens > 1) result.tpot_ms.push_back(ms_between(t.first, t.last) / static_cast<double>(t.tokens - 1));
  }
  const double seconds = ms_between(start, end) / 1000.0;
  result.output_tokens_per_s = seconds > 0 ? static_cast<double>(total) / seconds : 0;
  const engine::EngineStats stats = engine.stats();
  result.hit_rate = stats.kv.hit_rate();
  result.decode_tokens_per_s =
      stats.decode_only_seconds > 0 ? static_cast<double>(stats.decode_only_tokens) / stats.decode_only_seconds : 0;
  result.max_running = stats.max_running;
  result.preemptions = stats.preemptions;
  result.spec_proposed = stats.spec_proposed;
  result.spec_accepted = stats.spec_accepted;
  result.kv_bytes = static_cast<int64_t>(engine.kv_cache_bytes());
  return result;
}

}  // namespace

int bench_serving(const Args& args) {
  const std::vector<std::string> model_paths = split(args.required("--model"), ',');
  for (const auto& path : model_paths) {
    if (!std::filesystem::is_regular_file(path)) fail("model file not found: ", path);
  }
  const std::vector<int64_t> levels = int_list(args, "--concurrency", "1", 1);
  const std::vector<int64_t> n_prompts = int_list(args, "--n-prompt", "128", 1);
  const std::vector<int64_t> n_gens = int_list(args, "--n-gen", "128", 1);
  const std::vector<int64_t> thread_list = int_list(args, "--threads", std::to_string(default_thread_count()), 1);
  const int64_t shared = args.integer("--shared-prefix", 0);
  if (shared < 0) fail("flag --shared-prefix must be >= 0");
  for (int64_t p : n_prompts) {
    if (shared > p) fail("flag --shared-prefix ", shared, " is longer than the prompt (", p, " tokens)");
  }
  const int64_t repetitions = args.integer("--repetitions", 1);
  if (repetitions < 1) fail("flag --repetitions must be >= 1");
  const std::string json_path = args.str("--json", "");
  std::ofstream json_out;
  if (!json_path.empty()) {
    json_out.open(json_path);
    if (!json_out) fail("cannot write the JSON file ", json_path);
  }

  const Table table({{"model", 24, false}, {"threads", 7, true}, {"conc", 4, true}, {"pp", 5, true},
                     {"tg", 5, true}, {"shared", 6, true}, {"out t/s", 9, true}, {"decode t/s", 10, true}, {"ttft ms", 9, true},
                     {"ttft p99", 9, true}, {"tpot ms", 8, true}, {"tpot p99", 8, true}, {"hit rate", 8, true},
                     {"peak seqs", 9, true}, {"preempt", 7, true}});
  table.print_header();
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  for (const std::string& path : model_paths) {
    auto model = model::Model::load(path);
    auto tok = tokenizer::make_tokenizer(tokenizer::load_vocab(model->file()));
    const ModelInfo info = describe(path, *model);
    for (int64_t threads : thread_list) {
      for (int64_t n_prompt : n_prompts) {
        for (int64_t n_gen : n_gens) {
          for (int64_t level : levels) {
            engine::EngineConfig config = engine_config(args, static_cast<int>(threads));
            const auto draft_model = load_draft_model(args, config, *model);
            if (config.max_model_len == 0) config.max_model_len = n_prompt + n_gen;
            if (!args.has("--max-num-seqs")) config.max_num_seqs = static_cast<int>(level);
            std::vector<LevelResult> runs;
            for (int64_t r = 0; r < repetitions; ++r) {
              runs.push_back(run_level(*model, *tok, config, static_cast<int>(level), n_prompt, n_gen, shared));
            }
            // Medians over repetitions; the run with the median throughput
            // supplies the latency figures.
            std::sort(runs.begin(), runs.end(), [](const LevelResult& a, const LevelResult& b) {
              return a.output_tokens_per_s < b.output_tokens_per_s;
            });
            const LevelResult& m = runs[runs.size() / 2];
            const double ttft_mean = mean(m.ttft_ms), ttft_p99 = percentile(m.ttft_ms, 99);
            const double tpot_mean = mean(m.tpot_ms), tpot_p99 = percentile(m.tpot_ms, 99);
            const double decode_tps = m.decode_tokens_per_s;
            table.print_row({info.name, std::to_string(threads), std::to_string(level), std::to_string(n_prompt),
                             std::to_string(n_gen), std::to_string(shared), printf_str("%.2f", m.output_tokens_per_s), printf_str("%.2f", decode_tps),
                             printf_str("%.1f", ttft_mean), printf_str("%.1f", ttft_p99), printf_str("%.1f", tpot_mean),
                             printf_str("%.1f", tpot_p99), printf_str("%.3f", m.hit_rate),
                             std::to_string(m.max_running), std::to_string(m.preemptions)});
            nlohmann::ordered_json j;
            j["model_filename"] = info.path;
            j["model_type"] = info.description;
            j["n_threads"] = threads;
            j["concurrency"] = level;
            j["n_prompt"] = n_prompt;
            j["n_gen"] = n_gen;
            j["shared_prefix"] = shared;
            j["repetitions"] = repetitions;
            j["output_tokens_per_s"] = m.output_tokens_per_s;
            j["decode_tokens_per_s"] = decode_tps;
            j["ttft_mean_ms"] = ttft_mean;
            j["ttft_p99_ms"] = ttft_p99;
            j["tpot_mean_ms"] = tpot_mean;
            j["tpot_p99_ms"] = tpot_p99;
            j["prefix_cache_hit_rate"] = m.hit_rate;
            j["max_running"] = m.max_running;
            j["preemptions"] = m.preemptions;
            j["spec_proposed_tokens"] = m.spec_proposed;
            j["spec_accepted_tokens"] = m.spec_accepted;
            j["spec_acceptance_rate"] =
                m.spec_proposed ? static_cast<double>(m.spec_accepted) / static_cast<double>(m.spec_proposed) : 0.0;
            j["kv_cache_type"] = kv::kv_type_name(config.kv_type);
            j["kv_cache_bytes"] = m.kv_bytes;
            j["ttft_ms"] = m.ttft_ms;
            results.push_back(j);
          }
        }
      }
    }
  }
  if (json_out.is_open()) json_out << results.dump(2) << "\n";
  return 0;
}

}  // namespace pagoda::cli
