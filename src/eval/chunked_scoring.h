#pragma once
// llama-perplexity's way of scoring a text, shared by perplexity and KL
// divergence: the token stream (tokenized once) is cut into floor(N / n_ctx)
// chunks; each chunk's first token becomes BOS (when the model has one) and
// is run from an empty context; only the second half is scored, the logits
// at positions n_ctx/2 .. n_ctx-2 each predicting the next token. Scoring
// only positions with at least n_ctx/2 tokens of context keeps the figure
// comparable between context sizes and engines.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/thread_pool.h"
#include "kv/kv_type.h"
#include "model/model.h"

namespace pagoda::eval {

struct ChunkPlan {
  int64_t n_ctx = 0;
  int64_t n_chunks = 0;        // after max_chunks
  int64_t first_scored = 0;    // n_ctx / 2
  int64_t scored_per_chunk = 0;
};

// pagoda::Error when the text has fewer than n_ctx tokens or n_ctx < 4.
ChunkPlan plan_chunks(int64_t n_tokens, int64_t n_ctx, int64_t max_chunks);

// One scored chunk: logits rows [scored_per_chunk x n_vocab] for positions
// first_scored.., and the token each row predicts.
struct ScoredChunk {
  int64_t index = 0;
  std::span<const float> logits;
  std::span<const int32_t> targets;
};

// Runs the model over each chunk of `tokens` and hands the scored part to
// `visit`. bos < 0 leaves each chunk's first token as it is.
void score_chunks(model::Model& model, std::span<const int32_t> tokens, const ChunkPlan& plan, int32_t bos,
                  kv::KvType kv_type, ThreadPool& pool, const std::function<void(const ScoredChunk&)>& visit);

// log(sum(exp(row))) in double, stable for any magnitudes.
double log_sum_exp(std::span<const float> row);
double log_sum_exp(std::span<const double> row);

// Running mean of negative log-likelihoods and the perplexity's standard
// error by the delta method: se(PPL) = PPL * sd(nll) / sqrt(N - 1).
class NllStats {
 public:
  void add(double nll) {
    sum_ += nll;
    sum_sq_ += nll * nll;
    ++count_;
  }
  int64_t count() const { return count_; }
  double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
  double ppl() const;
  double ppl_stderr() const;

 private:
  double sum_ = 0, sum_sq_ = 0;
  int64_t count_ = 0;
};

}  // namespace pagoda::eval
