#pragma once
// KL divergence of a model against a reference model's saved distributions
// over the same text (the scored positions of chunked_scoring.h).
//
// Base file (little-endian), written by save_base_logprobs:
//   8 bytes   magic "PGDKLD01"
//   u32       n_vocab, n_ctx, n_chunks
//   u64       n_tokens; then i32 tokens[n_tokens] (the tokenized text, so a
//             comparison can check that it scores the same tokens)
//   then for each chunk, for each scored position: f16 log_probs[n_vocab]
// F16 log-probabilities keep the file at 2 bytes per vocabulary entry and
// position; their rounding (< 0.001 relative) is far below the KL values
// that matter for quantization.
#include <cstdint>
#include <span>
#include <string>

#include "eval/perplexity.h"

namespace pagoda::eval {

// Scores the text with the reference model, writes the base file and
// returns the reference perplexity.
PerplexityResult save_base_logprobs(const std::string& path, model::Model& model, std::span<const int32_t> tokens,
                                    int64_t n_ctx, int64_t max_chunks, int32_t bos, kv::KvType kv_type,
                                    ThreadPool& pool);

struct KldResult {
  int64_t n_positions = 0;
  double mean_kld = 0, kld_stderr = 0, median_kld = 0, p99_kld = 0, max_kld = 0;
  double top1_agreement = 0;  // fraction of positions where both models' argmax agree
  double ppl_base = 0, ppl_model = 0;
  double ppl_ratio = 0;  // ppl_model / ppl_base
};

// pagoda::Error when the file is not a base file, was cut short, or was
// made from other tokens or another vocabulary size.
KldResult compare_to_base(const std::string& path, model::Model& model, std::span<const int32_t> tokens, int32_t bos,
                          kv::KvType kv_type, ThreadPool& pool);

}  // namespace pagoda::eval
