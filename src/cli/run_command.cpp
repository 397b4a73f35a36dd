// `pagoda run`: one prompt, streamed generation, timings.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/engine_flags.h"
#include "core/error.h"
#include "core/log.h"
#include "engine/engine.h"
#include "kernels/cpu_features.h"
#include "kernels/matmul.h"
#include "model/model.h"
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
  std::set<std::string> value_flags = {"--model", "--prompt", "--n-predict", "--temp", "--top-k", "--top-p", "--min-p",
                                       "--repeat-penalty", "--repeat-last-n", "--seed", "--threads", "--top-logprobs"};
  value_flags.insert(engine_value_flags().begin(), engine_value_flags().end());
  std::set<std::string> switches = {"--json", "--verbose", "--ignore-eos"};
  switches.insert(engine_switches().begin(), engine_switches().end());
  const Args args(argv, value_flags, switches,
                  {{"-m", "--model"}, {"-p", "--prompt"}, {"-n", "--n-predict"}, {"-t", "--threads"},
                   {"-s", "--seed"}, {"-c", "--ctx-size"}, {"-v", "--verbose"}});
  const bool json = args.has("--json");
  const bool verbose = args.has("--verbose");
  if (verbose) log::set_level(log::Level::Info);

  engine::Request request;
  sampling::SamplingParams& sp = request.sampling;
  sp.temperature = static_cast<float>(args.number("--temp", sp.temperature));
  sp.top_k = static_cast<int>(args.integer("--top-k", sp.top_k));
  sp.top_p = static_cast<float>(args.number("--top-p", sp.top_p));
  sp.min_p = static_cast<float>(args.number("--min-p", sp.min_p));
  sp.repetition_penalty = static_cast<float>(args.number("--repeat-penalty", sp.repetition_penalty));
  sp.repeat_last_n = static_cast<int>(args.integer("--repeat-last-n", sp.repeat_last_n));
  sp.seed = static_cast<uint64_t>(args.integer("--seed", static_cast<int64_t>(sp.seed)));
  sampling::validate(sp);
  const int64_t n_predict = args.integer("--n-predict", 128);
  if (n_predict < 0) fail("--n-predict must be >= 0");
  const int64_t threads = args.integer("--threads", default_thread_count());
  if (threads < 1 || threads > 1024) fail("--threads must be between 1 and 1024");
  engine::EngineConfig config = engine_config(args, static_cast<int>(threads));
  config.max_num_seqs = 1;

  auto model = model::Model::load(args.required("--model"));
  const model::HParams& hp = model->hparams();
  auto tokenizer = tokenizer::make_tokenizer(tokenizer::load_vocab(model->file()));
  const auto draft_model = load_draft_model(args, config, *model);
  if (config.max_model_len == 0) config.max_model_len = std::min<int64_t>(hp.n_ctx_train > 0 ? hp.n_ctx_train : 4096, 4096);

  log::info(str_cat("model: ", hp.arch, " '", hp.name, "', ", hp.n_layer, " layers, n_embd ", hp.n_embd, ", vocab ",
                    hp.n_vocab, ", ", model->weight_bytes() / 1e6, " MB of weights"));
  log::info(str_cat("cpu features: ", kernels::cpu_features_string(), "; kernel path: ",
                    kernels::cpu_path_name(kernels::best_cpu_path()), "; threads: ", threads, "; context: ",
                    config.max_model_len, "; KV cache: ", kv::kv_type_name(config.kv_type)));

  const std::string prompt = args.str("--prompt", "");
  request.prompt = tokenizer->encode(prompt, /*add_special=*/true, /*parse_special=*/false);
  if (request.prompt.empty()) fail("the prompt is empty and the model adds no BOS token: nothing to start from");
  if (static_cast<int64_t>(request.prompt.size()) >= config.max_model_len) {
    fail("the prompt has ", request.prompt.size(), " tokens; the context size is ", config.max_model_len,
         " and leaves no room to generate");
  }
  request.max_tokens = n_predict;
  request.ignore_eos = args.has("--ignore-eos");
  // With --json: the N most likely tokens and their log-probabilities at each step.
  const int64_t top_logprobs = args.integer("--top-logprobs", 0);
  if (top_logprobs < 0 || top_logprobs > 100) fail("--top-logprobs must be between 0 and 100");
  if (top_logprobs > 0) request.logprobs = static_cast<int>(top_logprobs);

  if (!json) std::cout << prompt << std::flush;
  std::vector<int32_t> generated;
  nlohmann::ordered_json steps_top = nlohmann::ordered_json::array();
  std::string text;
  double prompt_ms = 0, gen_ms = 0;
  engine::FinishReason finish = engine::FinishReason::Length;
  engine::EngineStats stats;
  if (n_predict > 0) {
    engine::Engine engine(*model, tokenizer.get(), config);
    const auto t_submit = Clock::now();
    auto stream = engine.submit(request);
    Clock::time_point t_first = t_submit;
    std::string stop_reason;
    while (std::optional<engine::Delta> d = stream->next()) {
      if (generated.empty() && !d->token_ids.empty()) {
        t_first = Clock::now();
        prompt_ms = std::chrono::duration<double, std::milli>(t_first - t_submit).count();
      }
      generated.insert(generated.end(), d->token_ids.begin(), d->token_ids.end());
      for (const auto& top : d->top_logprobs) {
        nlohmann::ordered_json step = nlohmann::ordered_json::array();
        for (const auto& t : top) step.push_back({{"id", t.id}, {"logprob", t.logprob}});
        steps_top.push_back(std::move(step));
      }
      text += d->text;
      if (!json) std::cout << d->text << std::flush;
      if (d->finish != engine::FinishReason::None) {
        finish = d->finish;
        stop_reason = d->stop_reason;
      }
    }
    gen_ms = ms_since(t_first);
    stats = engine.stats();
    // The end-of-generation token ends the story; it is not part of it.
    if (finish == engine::FinishReason::Stop && !generated.empty() &&
        tokenizer->vocab().is_end_of_generation(generated.back())) {
      generated.pop_back();
    }
    if (finish == engine::FinishReason::Length && static_cast<int64_t>(generated.size()) < n_predict) {
      log::warn("context is full; stopping generation");
    }
  }
  // The first token comes with the prompt's step; the rest are decode steps.
  const size_t decoded = generated.size() > 1 ? generated.size() - 1 : 0;
  const bool speculative = config.speculative.mode != engine::SpeculativeConfig::Mode::None;
  const double acceptance = stats.spec_proposed ? static_cast<double>(stats.spec_accepted) / static_cast<double>(stats.spec_proposed) : 0.0;
  // Tokens each verifying step produced: the accepted proposals plus the one sampled token.
  const double mean_accepted = stats.spec_verify_steps ? 1.0 + static_cast<double>(stats.spec_accepted) / static_cast<double>(stats.spec_verify_steps) : 0.0;

  if (json) {
    nlohmann::ordered_json out;
    out["prompt_tokens"] = request.prompt;
    out["tokens"] = generated;
    out["text"] = text;
    out["finish_reason"] = engine::finish_reason_name(finish);
    if (top_logprobs > 0) out["top_logprobs"] = steps_top;
    out["timings"] = {{"prompt_ms", prompt_ms},
                      {"prompt_tokens_per_s", per_second(request.prompt.size(), prompt_ms)},
                      {"generation_ms", gen_ms},
                      {"generation_tokens_per_s", per_second(decoded, gen_ms)}};
    if (speculative) {
      out["speculative"] = {{"proposed", stats.spec_proposed}, {"accepted", stats.spec_accepted},
                            {"acceptance_rate", acceptance}, {"verify_steps", stats.spec_verify_steps},
                            {"tokens_per_verify_step", mean_accepted}};
    }
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << "\n" << std::flush;
    std::fprintf(stderr, "\nprompt: %zu tokens in %.1f ms (%.1f tokens/s, time to first token)\n",
                 request.prompt.size(), prompt_ms, per_second(request.prompt.size(), prompt_ms));
    std::fprintf(stderr, "generation: %zu tokens, %zu decode steps in %.1f ms (%.1f tokens/s)\n", generated.size(),
                 decoded, gen_ms, per_second(decoded, gen_ms));
    if (speculative) {
      std::fprintf(stderr, "speculative: %lld proposed, %lld accepted (%.1f%%), %.2f tokens per verifying step\n",
                   static_cast<long long>(stats.spec_proposed), static_cast<long long>(stats.spec_accepted),
                   100.0 * acceptance, mean_accepted);
    }
  }
  return 0;
}

}  // namespace pagoda::cli
