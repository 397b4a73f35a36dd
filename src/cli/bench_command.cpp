// `pagoda bench`: prompt-processing (ppN) and token-generation (tgN) speed,
// modelled on llama.cpp's llama-bench so the two can be run side by side on
// the same GGUF file and their tables and JSON compared field by field.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "cli/args.h"
#include "cli/bench_common.h"
#include "cli/bench_serving.h"
#include "cli/engine_flags.h"
#include "cli/commands.h"
#include "cli/membw.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/matmul.h"
#include "model/model.h"
#include "model/single_sequence.h"

namespace pagoda::cli {
namespace {

using namespace bench;

using Clock = std::chrono::steady_clock;

constexpr int kMembwPasses = 5;
constexpr int64_t kDefaultMembwMiB = 1024;

// One timed run of a test, in nanoseconds. The cache is emptied first, so
// every run starts from position 0 like a fresh cache.
int64_t run_once(bool prompt, const std::vector<int32_t>& tokens, model::SingleSequence& seq, ThreadPool& pool,
                 std::vector<float>& logits) {
  seq.clear();
  const auto t0 = Clock::now();
  if (prompt) {
    seq.forward(tokens, false, pool, logits);
  } else {
    // Decode feeds the pre-drawn ids one per step: choosing the next token
    // is sampling's cost, not the model's, and is left out as llama-bench does.
    for (size_t i = 0; i < tokens.size(); ++i) {
      seq.forward(std::span<const int32_t>(&tokens[i], 1), false, pool, logits);
    }
  }
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - t0).count();
}

}  // namespace

int bench_command(const std::vector<std::string>& argv) {
  if (!argv.empty() && argv[0] == "serve") return bench_serve_command({argv.begin() + 1, argv.end()});
  if (!argv.empty() && argv[0] == "spec") return bench_speculative_command({argv.begin() + 1, argv.end()});
  std::set<std::string> value_flags = {"--model", "--n-prompt", "--n-gen", "--threads", "--repetitions", "--json",
                                       "--membw-mib", "--concurrency", "--shared-prefix"};
  value_flags.insert(engine_value_flags().begin(), engine_value_flags().end());
  std::set<std::string> switches = {"--membw"};
  switches.insert(engine_switches().begin(), engine_switches().end());
  const Args args(argv, value_flags, switches,
                  {{"-m", "--model"}, {"-p", "--n-prompt"}, {"-n", "--n-gen"}, {"-t", "--threads"},
                   {"-r", "--repetitions"}, {"-c", "--ctx-size"}, {"-ctk", "--kv-cache-type"}});
  if (!args.positional().empty()) fail("unexpected argument '", args.positional()[0], "'");
  if (args.has("--concurrency")) return bench_serving(args);
  for (const char* flag : {"--shared-prefix", "--kv-cache-memory", "--block-size", "--max-num-batched-tokens",
                           "--max-num-seqs", "--max-waiting", "--no-prefix-caching", "--speculative",
                           "--num-speculative-tokens", "--ngram-min", "--ngram-max", "--draft-model"}) {
    if (args.has(flag)) fail("flag ", flag, " applies to the serving benchmark: add --concurrency");
  }

  std::vector<std::string> model_paths = split(args.required("--model"), ',');
  for (const auto& path : model_paths) {
    if (path.empty()) fail("flag --model needs a comma-separated list of files, got '", args.str("--model", ""), "'");
    // Checked before any test runs, so a typo in the last model does not
    // surface only after the first ones have been benchmarked.
    if (!std::filesystem::is_regular_file(path)) fail("model file not found: ", path);
  }
  std::vector<int64_t> n_prompts = int_list(args, "--n-prompt", "512", 0);
  std::vector<int64_t> n_gens = int_list(args, "--n-gen", "128", 0);
  std::erase(n_prompts, 0);  // -p 0 / -n 0 skip that kind of test
  std::erase(n_gens, 0);
  if (n_prompts.empty() && n_gens.empty()) fail("nothing to run: -p and -n are both 0");
  const std::vector<int64_t> thread_list = int_list(args, "--threads", std::to_string(default_thread_count()), 1);
  for (int64_t t : thread_list) {
    if (t > 1024) fail("flag --threads values must be <= 1024, got ", t);
  }
  const int64_t repetitions = args.integer("--repetitions", 5);
  if (repetitions < 1) fail("flag --repetitions must be >= 1, got ", repetitions);

  int64_t longest = 0;
  for (int64_t n : n_prompts) longest = std::max(longest, n);
  for (int64_t n : n_gens) longest = std::max(longest, n);
  const int64_t n_ctx = args.integer("--ctx-size", longest);
  if (n_ctx < longest) fail("flag --ctx-size ", n_ctx, " is smaller than the longest test (", longest, " tokens)");

  // F16 like llama-bench's default, so the two compare like for like.
  const kv::KvType kv_type = kv::parse_kv_type(args.str("--kv-cache-type", "f16"));
  const bool membw = args.has("--membw");
  const int64_t membw_mib = args.integer("--membw-mib", kDefaultMembwMiB);
  if (membw_mib < 1) fail("flag --membw-mib must be >= 1, got ", membw_mib);

  // Opened now so an unwritable path fails before minutes of benchmarking.
  const std::string json_path = args.str("--json", "");
  std::ofstream json_out;
  if (!json_path.empty()) {
    json_out.open(json_path);
    if (!json_out) fail("cannot write the JSON file ", json_path);
  }

  std::vector<int> threads;
  for (int64_t t : thread_list) threads.push_back(static_cast<int>(t));

  // Bandwidth is measured before any model is mapped so its buffer never
  // competes with the weights for memory.
  std::map<int, double> membw_gbs;
  if (membw) {
    const auto results = measure_read_bandwidth(threads, static_cast<size_t>(membw_mib) << 20, kMembwPasses);
    std::printf("memory read bandwidth (%lld MiB buffer, %d passes):\n", static_cast<long long>(membw_mib),
                kMembwPasses);
    for (const auto& r : results) {
      std::printf("  threads %3d: %8.2f GB/s best, %8.2f GB/s median\n", r.threads, r.best_gbs, r.median_gbs);
      membw_gbs[r.threads] = r.best_gbs;
    }
    std::printf("\n");
  }

  const std::string path_name = kernels::cpu_path_name(kernels::best_cpu_path());
  int name_width = 5;
  for (const auto& p : model_paths) {
    name_width = std::max(name_width, static_cast<int>(std::filesystem::path(p).filename().string().size()));
  }
  std::vector<Table::Column> columns = {{"model", name_width, false}, {"size", 10, true},   {"params", 10, true},
                                        {"type", 6, false},           {"path", 9, false},  {"threads", 7, true},
                                        {"test", 8, true},            {"t/s", 20, true},   {"median t/s", 10, true}};
  if (membw) {
    columns.push_back({"bound t/s", 10, true});
    columns.push_back({"of bound", 8, true});
  }
  const Table table(columns);
  table.print_header();

  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  std::vector<std::string> notes;
  for (const std::string& path : model_paths) {
    auto model = model::Model::load(path);
    const ModelInfo info = describe(path, *model);
    if (membw) {
      notes.push_back(str_cat(info.name, ": ", format_size(info.bytes_per_token), " of weights read per token"));
    }
    model::SingleSequence seq(*model, n_ctx, kv_type);
    std::vector<float> logits;
    for (int t : threads) {
      ThreadPool pool(t);
      for (int kind = 0; kind < 2; ++kind) {
        const bool prompt = kind == 0;
        for (int64_t n : prompt ? n_prompts : n_gens) {
          const std::vector<int32_t> tokens = random_tokens(n, model->hparams().n_vocab);
          const std::string test_time = iso8601_now();
          run_once(prompt, tokens, seq, pool, logits);  // warm-up: caches, page faults, workspace growth
          std::vector<int64_t> samples_ns;
          std::vector<double> ns, ts;
          for (int64_t r = 0; r < repetitions; ++r) {
            const int64_t elapsed = std::max<int64_t>(1, run_once(prompt, tokens, seq, pool, logits));
            samples_ns.push_back(elapsed);
            ns.push_back(static_cast<double>(elapsed));
            ts.push_back(static_cast<double>(n) * 1e9 / static_cast<double>(elapsed));
          }
          const Stats s_ns = stats_of(ns);
          const Stats s_ts = stats_of(ts);
          const std::string test = str_cat(prompt ? "pp" : "tg", n);

          nlohmann::ordered_json j;
          j["model_filename"] = info.path;
          j["model_type"] = info.description;
          j["model_size"] = info.size;
          j["model_n_params"] = info.n_params;
          j["n_threads"] = t;
          j["n_prompt"] = prompt ? n : 0;
          j["n_gen"] = prompt ? 0 : n;
          j["type_k"] = kv::kv_type_name(kv_type);
          j["type_v"] = kv::kv_type_name(kv_type);
          j["test_time"] = test_time;
          j["avg_ns"] = static_cast<int64_t>(std::llround(s_ns.mean));
          j["stddev_ns"] = static_cast<int64_t>(std::llround(s_ns.sd));
          j["avg_ts"] = s_ts.mean;
          j["stddev_ts"] = s_ts.sd;
          j["samples_ns"] = samples_ns;
          j["samples_ts"] = ts;
          j["median_ts"] = s_ts.median;
          j["cpu_path"] = path_name;

          std::vector<std::string> row = {info.name,
                                          format_size(info.size),
                                          format_params(info.n_params),
                                          info.type_name,
                                          path_name,
                                          std::to_string(t),
                                          test,
                                          printf_str("%.2f", s_ts.mean) + " ± " + printf_str("%.2f", s_ts.sd),
                                          printf_str("%.2f", s_ts.median)};
          if (membw && !prompt) {
            // Decode must stream every weight once per token, so bandwidth
            // over those bytes caps its speed; the fraction shows how close
            // the kernels come to that cap.
            const double gbs = membw_gbs[t];
            const double bound = gbs * 1e9 / static_cast<double>(info.bytes_per_token);
            j["membw_gbs"] = gbs;
            j["bytes_per_token"] = info.bytes_per_token;
            j["bound_ts"] = bound;
            j["bound_fraction"] = s_ts.mean / bound;
            row.push_back(printf_str("%.2f", bound));
            row.push_back(printf_str("%.1f%%", 100 * s_ts.mean / bound));
          }
          table.print_row(row);
          results.push_back(std::move(j));
        }
      }
    }
  }
  if (!notes.empty()) {
    std::printf("\nbound t/s = best read bandwidth at that thread count / weight bytes read per token\n");
    for (const auto& n : notes) std::printf("  %s\n", n.c_str());
  }

  if (json_out.is_open()) {
    json_out << results.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    json_out.close();
    if (!json_out) fail("writing the JSON file ", json_path, " failed");
  }
  return 0;
}

}  // namespace pagoda::cli
