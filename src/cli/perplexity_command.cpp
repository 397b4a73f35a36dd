// `pagoda perplexity`: llama-perplexity's measurement (see eval/chunked_scoring.h).
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/eval_input.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "eval/perplexity.h"

namespace pagoda::cli {

int perplexity_command(const std::vector<std::string>& argv) {
  const Args args(argv, {"--model", "--file", "--ctx-size", "--chunks", "--threads", "--kv-cache-type", "--json"}, {"--parse-special"},
                  {{"-m", "--model"}, {"-f", "--file"}, {"-c", "--ctx-size"}, {"-t", "--threads"}});
  EvalInput in = load_eval_input(args.required("--model"), args.required("--file"), args.has("--parse-special"));
  const int64_t n_ctx = args.integer("--ctx-size", 512);
  if (n_ctx > in.model->hparams().n_ctx_train && in.model->hparams().n_ctx_train > 0) {
    std::fprintf(stderr, "warning: -c %lld exceeds the model's training context %lld\n", static_cast<long long>(n_ctx),
                 static_cast<long long>(in.model->hparams().n_ctx_train));
  }
  ThreadPool pool(static_cast<int>(args.integer("--threads", default_thread_count())));
  const kv::KvType kv_type = kv::parse_kv_type(args.str("--kv-cache-type", "f16"));
  std::printf("%zu tokens, n_ctx %lld: ", in.tokens.size(), static_cast<long long>(n_ctx));
  std::fflush(stdout);
  const eval::PerplexityResult r =
      eval::perplexity(*in.model, in.tokens, n_ctx, args.integer("--chunks", 0), in.bos, kv_type, pool,
                       [](int64_t chunk, double ppl) {
                         std::printf("[%lld]%.4f,", static_cast<long long>(chunk + 1), ppl);
                         std::fflush(stdout);
                       });
  std::printf("\nFinal estimate: PPL = %.4f +/- %.5f (%lld chunks, %lld scored tokens)\n", r.ppl, r.ppl_stderr,
              static_cast<long long>(r.n_chunks), static_cast<long long>(r.n_scored));
  if (args.has("--json")) {
    const nlohmann::json j = {{"model", args.required("--model")}, {"text", args.required("--file")},
                              {"n_tokens", r.n_tokens}, {"n_ctx", r.n_ctx}, {"n_chunks", r.n_chunks},
                              {"n_scored", r.n_scored}, {"ppl", r.ppl}, {"ppl_stderr", r.ppl_stderr},
                              {"mean_nll", r.mean_nll}, {"running_ppl", r.running_ppl},
                              {"kv_cache_type", kv::kv_type_name(kv_type)}, {"parse_special", args.has("--parse-special")},
                              {"max_chunks", args.integer("--chunks", 0)}};
    std::ofstream(args.str("--json", "")) << j.dump(2) << "\n";
  }
  return 0;
}

}  // namespace pagoda::cli
