#include "eval/chunked_scoring.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "model/single_sequence.h"

namespace pagoda::eval {

ChunkPlan plan_chunks(int64_t n_tokens, int64_t n_ctx, int64_t max_chunks) {
  if (n_ctx < 4) fail("context size ", n_ctx, " is too small to score (at least 4)");
  ChunkPlan p;
  p.n_ctx = n_ctx;
  p.n_chunks = n_tokens / n_ctx;
  if (max_chunks > 0) p.n_chunks = std::min(p.n_chunks, max_chunks);
  if (p.n_chunks == 0) {
    fail("the text has ", n_tokens, " tokens, fewer than one chunk of ", n_ctx, "; use a longer text or a smaller -c");
  }
  p.first_scored = n_ctx / 2;
  p.scored_per_chunk = n_ctx - 1 - p.first_scored;
  return p;
}

void score_chunks(model::Model& model, std::span<const int32_t> tokens, const ChunkPlan& plan, int32_t bos,
                  kv::KvType kv_type, ThreadPool& pool, const std::function<void(const ScoredChunk&)>& visit) {
  const int64_t n_vocab = model.hparams().n_vocab;
  model::SingleSequence seq(model, plan.n_ctx, kv_type);
  std::vector<int32_t> chunk(static_cast<size_t>(plan.n_ctx));
  std::vector<float> logits;
  for (int64_t c = 0; c < plan.n_chunks; ++c) {
    const auto begin = tokens.begin() + c * plan.n_ctx;
    std::copy(begin, begin + plan.n_ctx, chunk.begin());
    if (bos >= 0) chunk[0] = bos;
    seq.clear();
    seq.forward(chunk, /*all_logits=*/true, pool, logits);
    ScoredChunk sc;
    sc.index = c;
    sc.logits = std::span<const float>(logits).subspan(static_cast<size_t>(plan.first_scored * n_vocab),
                                                       static_cast<size_t>(plan.scored_per_chunk * n_vocab));
    // Row i (position first_scored + i) predicts the original token after it.
    sc.targets = tokens.subspan(static_cast<size_t>(c * plan.n_ctx + plan.first_scored + 1),
                                static_cast<size_t>(plan.scored_per_chunk));
    visit(sc);
  }
}

namespace {

template <typename T>
double log_sum_exp_of(std::span<const T> row) {
  double max = row[0];
  for (T v : row) max = std::max<double>(max, v);
  double sum = 0;
  for (T v : row) sum += std::exp(static_cast<double>(v) - max);
  return max + std::log(sum);
}

}  // namespace

double log_sum_exp(std::span<const float> row) { return log_sum_exp_of(row); }
double log_sum_exp(std::span<const double> row) { return log_sum_exp_of(row); }

double NllStats::ppl() const { return std::exp(mean()); }

double NllStats::ppl_stderr() const {
  if (count_ < 2) return 0.0;
  const double m = mean();
  const double var = sum_sq_ / static_cast<double>(count_) - m * m;
  return var > 0 ? ppl() * std::sqrt(var / static_cast<double>(count_ - 1)) : 0.0;
}

}  // namespace pagoda::eval
