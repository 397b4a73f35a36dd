#pragma once
// Perplexity of a model on a text, as llama-perplexity computes it (see
// chunked_scoring.h), with the running figure after every chunk.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "eval/chunked_scoring.h"

namespace pagoda::eval {

struct PerplexityResult {
  int64_t n_tokens = 0;
  int64_t n_ctx = 0;
  int64_t n_chunks = 0;
  int64_t n_scored = 0;
  double ppl = 0;
  double ppl_stderr = 0;
  double mean_nll = 0;
  std::vector<double> running_ppl;  // after each chunk
};

PerplexityResult perplexity(model::Model& model, std::span<const int32_t> tokens, int64_t n_ctx, int64_t max_chunks,
                            int32_t bos, kv::KvType kv_type, ThreadPool& pool,
                            const std::function<void(int64_t chunk, double running_ppl)>& on_chunk = {});

}  // namespace pagoda::eval
