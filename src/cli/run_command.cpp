// `pagoda run`: one prompt, streamed generation, timings.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "core/log.h"
#include "kernels/cpu_features.h"
#include "kernels/matmul.h"
#include "model/model.h"
#include "model/single_sequence.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace pagoda::cli {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

double per_second(size_t n, double ms) { return ms > 0 ? static_cast<double>(n) * 1000.0 / ms : 0.0; }

}  // namespace

int run_command(const std::vector<std::string>& argv) {
  const Args args(argv,
                  {"--model", "--prompt", "--n-predict", "--temp", "--top-k", "--top-p", "--min-p", "--repeat-penalty",
                   "--repeat-last-n", "--seed", "--threads", "--ctx-size"},
                  {"--json", "--verbose", "--ignore-eos"},
                  {{"-m", "--model"}, {"-p", "--prompt"}, {"-n", "--n-predict"}, {"-t", "--threads"},
                   {"-s", "--seed"}, {"-c", "--ctx-size"}, {"-v", "--verbose"}});
  const bool json = args.has("--json");
  const bool verbose = args.has("--verbose");
  if (verbose) log::set_level(log::Level::Info);

  sampling::SamplingParams sp;
  sp.temperature = static_cast<float>(args.number("--temp", sp.temperature));
  sp.top_k = static_cast<int>(args.integer("--top-k", sp.top_k));
  sp.top_p = static_cast<float>(args.number("--top-p", sp.top_p));
  sp.min_p = static_cast<float>(args.number("--min-p", sp.min_p));
  sp.repetition_penalty = static_cast<float>(args.number("--repeat-penalty", sp.repetition_penalty));
  sp.repeat_last_n = static_cast<int>(args.integer("--repeat-last-n", sp.repeat_last_n));
  sp.seed = static_cast<uint64_t>(args.integer("--seed", static_cast<int64_t>(sp.seed)));
  sampling::Sampler sampler(sp);
  const int64_t n_predict = args.integer("--n-predict", 128);
  if (n_predict < 0) fail("--n-predict must be >= 0");
  const int64_t threads = args.integer("--threads", default_thread_count());
  if (threads < 1 || threads > 1024) fail("--threads must be between 1 and 1024");

  auto model = model::Model::load(args.required("--model"));
  const model::HParams& hp = model->hparams();
  auto tokenizer = tokenizer::make_tokenizer(tokenizer::load_vocab(model->file()));
  const int64_t n_ctx = args.integer("--ctx-size", std::min<int64_t>(hp.n_ctx_train, 4096));
  if (n_ctx < 1) fail("--ctx-size must be >= 1");

  log::info(str_cat("model: ", hp.arch, " '", hp.name, "', ", hp.n_layer, " layers, n_embd ", hp.n_embd, ", vocab ",
                    hp.n_vocab, ", ", model->weight_bytes() / 1e6, " MB of weights"));
  log::info(str_cat("cpu features: ", kernels::cpu_features_string(), "; kernel path: ",
                    kernels::cpu_path_name(kernels::best_cpu_path()), "; threads: ", threads, "; context: ", n_ctx));

  const std::string prompt = args.str("--prompt", "");
  const std::vector<int32_t> prompt_ids = tokenizer->encode(prompt, /*add_special=*/true, /*parse_special=*/false);
  if (prompt_ids.empty()) fail("the prompt is empty and the model adds no BOS token: nothing to start from");
  if (static_cast<int64_t>(prompt_ids.size()) > n_ctx) {
    fail("the prompt has ", prompt_ids.size(), " tokens, more than the context size ", n_ctx);
  }

  ThreadPool pool(static_cast<int>(threads));
  model::SingleSequence seq(*model, n_ctx, kv::KvType::F32);
  std::vector<float> logits;
  std::vector<int32_t> history = prompt_ids;
  std::vector<int32_t> generated;
  tokenizer::StreamDecoder stream(*tokenizer);
  std::string text;

  if (!json) {
    std::cout << prompt << std::flush;
  }

  const auto t_prompt = Clock::now();
  seq.forward(prompt_ids, false, pool, logits);
  const double prompt_ms = ms_since(t_prompt);

  const auto t_gen = Clock::now();
  size_t decode_steps = 0;
  const bool ignore_eos = args.has("--ignore-eos");
  while (static_cast<int64_t>(generated.size()) < n_predict) {
    const int32_t next = sampler.sample(logits, history);
    if (!ignore_eos && tokenizer->vocab().is_end_of_generation(next)) break;
    generated.push_back(next);
    history.push_back(next);
    const std::string piece = stream.push(next);
    text += piece;
    if (!json) std::cout << piece << std::flush;
    if (static_cast<int64_t>(generated.size()) == n_predict) break;
    if (seq.size() + 1 > n_ctx) {
      log::warn("context is full; stopping generation");
      break;
    }
    const int32_t step[1] = {next};
    seq.forward(step, false, pool, logits);
    ++decode_steps;
  }
  const double gen_ms = ms_since(t_gen);
  const std::string rest = stream.flush();
  text += rest;

  if (json) {
    nlohmann::ordered_json out;
    out["prompt_tokens"] = prompt_ids;
    out["tokens"] = generated;
    out["text"] = text;
    out["timings"] = {{"prompt_ms", prompt_ms},
                      {"prompt_tokens_per_s", per_second(prompt_ids.size(), prompt_ms)},
                      {"generation_ms", gen_ms},
                      {"generation_tokens_per_s", per_second(generated.size(), gen_ms)}};
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << rest << "\n" << std::flush;
    std::fprintf(stderr, "\nprompt: %zu tokens in %.1f ms (%.1f tokens/s)\n", prompt_ids.size(), prompt_ms,
                 per_second(prompt_ids.size(), prompt_ms));
    std::fprintf(stderr, "generation: %zu tokens in %.1f ms (%.1f tokens/s, %zu decode steps)\n", generated.size(),
                 gen_ms, per_second(generated.size(), gen_ms), decode_steps);
  }
  return 0;
}

}  // namespace pagoda::cli
