// `pagoda bench spec`: single-stream decoding with and without speculative
// decoding, side by side in one run. Modes run interleaved (none, ngram,
// draft, none, ...) so that drift on a shared machine hits them alike;
// the table gives medians over the repetitions and each mode's speed-up over
// plain decoding, with the acceptance figures that explain it.
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/bench_common.h"
#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "engine/engine_core.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace pagoda::cli {
namespace {

using Clock = std::chrono::steady_clock;
using engine::SpeculativeConfig;

struct Run {
  double ttft_ms = 0;
  double decode_tokens_per_s = 0;  // tokens after the first over the time after the first
  std::vector<int32_t> tokens;
  engine::EngineStats stats;
};

Run run_once(model::Model& model, const tokenizer::Tokenizer& tok, engine::EngineConfig config, ThreadPool& pool,
             const engine::Request& request) {
  engine::EngineCore core(model, &tok, config, pool);
  const auto t0 = Clock::now();
  auto stream = core.add(request);
  Run run;
  Clock::time_point first{};
  bool timed_out = false;
  while (core.has_work()) {
    core.step();
    while (auto d = stream->next_for(std::chrono::milliseconds(0), &timed_out)) {
      if (run.tokens.empty() && !d->token_ids.empty()) first = Clock::now();
      run.tokens.insert(run.tokens.end(), d->token_ids.begin(), d->token_ids.end());
    }
  }
  const auto end = Clock::now();
  run.ttft_ms = std::chrono::duration<double, std::milli>(first - t0).count();
  const double decode_s = std::chrono::duration<double>(end - first).count();
  run.decode_tokens_per_s = run.tokens.size() > 1 && decode_s > 0 ? static_cast<double>(run.tokens.size() - 1) / decode_s : 0;
  run.stats = core.stats();
  return run;
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int bench_speculative_command(const std::vector<std::string>& argv) {
  std::set<std::string> value_flags = {"--model", "--modes", "--prompt", "--prompt-file", "--n-gen", "--repetitions",
                                       "--threads", "--temp", "--seed", "--json"};
  value_flags.insert(engine_value_flags().begin(), engine_value_flags().end());
  const Args args(argv, value_flags, engine_switches(),
                  {{"-m", "--model"}, {"-n", "--n-gen"}, {"-r", "--repetitions"}, {"-t", "--threads"},
                   {"-p", "--prompt"}, {"-f", "--prompt-file"}});
  if (!args.positional().empty()) fail("unexpected argument '", args.positional()[0], "'");
  if (args.has("--speculative")) fail("bench spec: choose the modes with --modes none,ngram,draft");
  const std::string model_path = args.required("--model");
  const int64_t threads = args.integer("--threads", default_thread_count());
  const int64_t n_gen = args.integer("--n-gen", 128);
  const int64_t reps = args.integer("--repetitions", 3);
  if (n_gen < 2 || reps < 1) fail("bench spec: -n must be >= 2 and -r >= 1");
  std::vector<std::string> modes = bench::split(args.str("--modes", args.has("--draft-model") ? "none,ngram,draft" : "none,ngram"), ',');
  for (const auto& m : modes) {
    if (m != "none" && m != "ngram" && m != "draft") fail("--modes takes none, ngram and draft, got '", m, "'");
    if (m == "draft" && !args.has("--draft-model")) fail("mode 'draft' needs --draft-model FILE");
  }

  auto model = model::Model::load(model_path);
  auto tok = tokenizer::make_tokenizer(tokenizer::load_vocab(model->file()));
  std::string prompt = args.has("--prompt-file") ? read_all(args.str("--prompt-file", "")) : args.str("--prompt", "Once upon a time");
  while (!prompt.empty() && (prompt.back() == '\n' || prompt.back() == '\r')) prompt.pop_back();
  engine::Request request;
  request.prompt = tok->encode(prompt, /*add_special=*/true, /*parse_special=*/true);
  request.max_tokens = n_gen;
  request.ignore_eos = true;  // every run decodes exactly n tokens
  request.sampling.temperature = static_cast<float>(args.number("--temp", 0.0));
  request.sampling.seed = static_cast<uint64_t>(args.integer("--seed", 1));

  // Only the proposal source differs between modes.
  engine::EngineConfig base = engine_config(args, static_cast<int>(threads));
  base.max_num_seqs = 1;
  if (base.max_model_len == 0) base.max_model_len = static_cast<int64_t>(request.prompt.size()) + n_gen + 1;
  std::unique_ptr<model::Model> draft;
  if (args.has("--draft-model")) {
    draft = model::Model::load(args.str("--draft-model", ""));
    engine::check_same_vocabulary(*model, *draft);
  }
  ThreadPool pool(static_cast<int>(threads));
  const auto config_for = [&](const std::string& mode) {
    engine::EngineConfig c = base;
    c.speculative.mode = mode == "ngram" ? SpeculativeConfig::Mode::Ngram
                         : mode == "draft" ? SpeculativeConfig::Mode::Draft : SpeculativeConfig::Mode::None;
    c.speculative.draft_model = draft.get();
    return c;
  };
  run_once(*model, *tok, config_for(modes[0]), pool, request);  // warm-up: caches, page faults, packing

  std::map<std::string, std::vector<Run>> runs;
  for (int64_t r = 0; r < reps; ++r) {
    for (const auto& m : modes) runs[m].push_back(run_once(*model, *tok, config_for(m), pool, request));
  }

  const double plain = runs.count("none") ? bench::stats_of([&] {
    std::vector<double> v;
    for (const Run& x : runs["none"]) v.push_back(x.decode_tokens_per_s);
    return v;
  }()).median : 0.0;
  const bench::Table table({{"mode", 6, false}, {"k", 2, true}, {"decode t/s", 10, true}, {"speed-up", 8, true},
                            {"accepted", 8, true}, {"tok/step", 8, true}, {"ttft ms", 8, true}, {"same output", 11, false}});
  std::printf("model %s, prompt %zu tokens, %lld generated, %s, %lld thread(s), %lld repetitions (medians)\n",
              model_path.c_str(), request.prompt.size(), static_cast<long long>(n_gen),
              request.sampling.greedy() ? "greedy" : "sampled", static_cast<long long>(threads), static_cast<long long>(reps));
  table.print_header();
  nlohmann::ordered_json results = nlohmann::ordered_json::array();
  const std::vector<int32_t>& reference = runs[modes[0]].front().tokens;
  for (const auto& m : modes) {
    std::vector<double> tps, ttft;
    int64_t proposed = 0, accepted = 0, verify_steps = 0;
    bool same = true;
    for (const Run& x : runs[m]) {
      tps.push_back(x.decode_tokens_per_s);
      ttft.push_back(x.ttft_ms);
      proposed += x.stats.spec_proposed;
      accepted += x.stats.spec_accepted;
      verify_steps += x.stats.spec_verify_steps;
      same = same && x.tokens == reference;
    }
    const double median = bench::stats_of(tps).median;
    const double rate = proposed ? static_cast<double>(accepted) / static_cast<double>(proposed) : 0.0;
    const double per_step = verify_steps ? 1.0 + static_cast<double>(accepted) / static_cast<double>(verify_steps) : 1.0;
    const int k = m == "none" ? 0 : base.speculative.num_tokens;
    table.print_row({m, std::to_string(k), bench::printf_str("%.1f", median),
                     plain > 0 ? bench::printf_str("%.2fx", median / plain) : "-",
                     m == "none" ? "-" : bench::printf_str("%.1f%%", 100 * rate), bench::printf_str("%.2f", per_step),
                     bench::printf_str("%.1f", bench::stats_of(ttft).median),
                     request.sampling.greedy() ? (same ? "yes" : "NO") : "(sampled)"});
    results.push_back({{"mode", m}, {"num_speculative_tokens", k}, {"decode_tokens_per_s", median},
                       {"decode_tokens_per_s_runs", tps}, {"speedup", plain > 0 ? median / plain : 0.0},
                       {"proposed", proposed}, {"accepted", accepted}, {"acceptance_rate", rate},
                       {"tokens_per_verify_step", per_step}, {"ttft_ms", bench::stats_of(ttft).median},
                       {"output_identical_to_first_mode", same}});
  }
  if (args.has("--json")) {
    nlohmann::ordered_json j = {{"benchmark", "speculative"}, {"date", bench::iso8601_now()}, {"model", model_path},
                                {"draft_model", args.str("--draft-model", "")}, {"prompt_tokens", request.prompt.size()},
                                {"n_gen", n_gen}, {"threads", threads}, {"repetitions", reps},
                                {"temperature", request.sampling.temperature}, {"results", results}};
    std::ofstream(args.str("--json", "")) << j.dump(2) << "\n";
  }
  return 0;
}

}  // namespace pagoda::cli
