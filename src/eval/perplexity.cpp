#include "eval/perplexity.h"

namespace pagoda::eval {

PerplexityResult perplexity(model::Model& model, std::span<const int32_t> tokens, int64_t n_ctx, int64_t max_chunks,
                            int32_t bos, kv::KvType kv_type, ThreadPool& pool,
                            const std::function<void(int64_t, double)>& on_chunk) {
  const ChunkPlan plan = plan_chunks(static_cast<int64_t>(tokens.size()), n_ctx, max_chunks);
  const auto n_vocab = static_cast<size_t>(model.hparams().n_vocab);
  PerplexityResult r;
  r.n_tokens = static_cast<int64_t>(tokens.size());
  r.n_ctx = n_ctx;
  r.n_chunks = plan.n_chunks;
  NllStats stats;
  score_chunks(model, tokens, plan, bos, kv_type, pool, [&](const ScoredChunk& c) {
    for (size_t i = 0; i < c.targets.size(); ++i) {
      const auto row = c.logits.subspan(i * n_vocab, n_vocab);
      stats.add(log_sum_exp(row) - row[static_cast<size_t>(c.targets[i])]);
    }
    r.running_ppl.push_back(stats.ppl());
    if (on_chunk) on_chunk(c.index, stats.ppl());
  });
  r.n_scored = stats.count();
  r.ppl = stats.ppl();
  r.ppl_stderr = stats.ppl_stderr();
  r.mean_nll = stats.mean();
  return r;
}

}  // namespace pagoda::eval
