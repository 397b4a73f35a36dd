// `pagoda kld`: save a reference model's distributions over a text once
// (--save-base FILE), then compare any model against them (--base FILE):
// mean/median/p99 KL divergence, top-1 agreement and the perplexity ratio.
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/eval_input.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "eval/kl_divergence.h"

namespace pagoda::cli {

int kld_command(const std::vector<std::string>& argv) {
  const Args args(argv,
                  {"--model", "--file", "--ctx-size", "--chunks", "--threads", "--kv-cache-type", "--save-base",
                   "--base", "--json"},
                  {"--parse-special"}, {{"-m", "--model"}, {"-f", "--file"}, {"-c", "--ctx-size"}, {"-t", "--threads"}});
  if (args.has("--save-base") == args.has("--base")) fail("kld: give exactly one of --save-base FILE and --base FILE");
  EvalInput in = load_eval_input(args.required("--model"), args.required("--file"), args.has("--parse-special"));
  ThreadPool pool(static_cast<int>(args.integer("--threads", default_thread_count())));
  const kv::KvType kv_type = kv::parse_kv_type(args.str("--kv-cache-type", "f16"));
  nlohmann::json j = {{"model", args.required("--model")}, {"text", args.required("--file")}};
  if (args.has("--save-base")) {
    const std::string path = args.str("--save-base", "");
    const eval::PerplexityResult r = eval::save_base_logprobs(path, *in.model, in.tokens, args.integer("--ctx-size", 512),
                                                              args.integer("--chunks", 0), in.bos, kv_type, pool);
    std::printf("saved %lld positions of %lld chunks to %s; base PPL = %.4f +/- %.5f\n",
                static_cast<long long>(r.n_scored), static_cast<long long>(r.n_chunks), path.c_str(), r.ppl,
                r.ppl_stderr);
    j.update({{"base_file", path}, {"n_chunks", r.n_chunks}, {"n_positions", r.n_scored}, {"ppl", r.ppl}});
  } else {
    const std::string path = args.str("--base", "");
    const eval::KldResult r = eval::compare_to_base(path, *in.model, in.tokens, in.bos, kv_type, pool);
    std::printf("positions:       %lld\n", static_cast<long long>(r.n_positions));
    std::printf("mean KLD:        %.6f +/- %.6f\n", r.mean_kld, r.kld_stderr);
    std::printf("median KLD:      %.6f\n", r.median_kld);
    std::printf("p99 KLD:         %.6f\n", r.p99_kld);
    std::printf("max KLD:         %.6f\n", r.max_kld);
    std::printf("top-1 agreement: %.2f%%\n", 100.0 * r.top1_agreement);
    std::printf("PPL base/model:  %.4f / %.4f (ratio %.4f)\n", r.ppl_base, r.ppl_model, r.ppl_ratio);
    j.update({{"base_file", path}, {"n_positions", r.n_positions}, {"mean_kld", r.mean_kld},
              {"kld_stderr", r.kld_stderr}, {"median_kld", r.median_kld}, {"p99_kld", r.p99_kld},
              {"max_kld", r.max_kld}, {"top1_agreement", r.top1_agreement}, {"ppl_base", r.ppl_base},
              {"ppl_model", r.ppl_model}, {"ppl_ratio", r.ppl_ratio}});
  }
  if (args.has("--json")) std::ofstream(args.str("--json", "")) << j.dump(2) << "\n";
  return 0;
}

}  // namespace pagoda::cli
