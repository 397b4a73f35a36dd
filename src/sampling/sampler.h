#pragma once
// Turns one row of logits into the next token. The chain runs in the order
// users of llama.cpp know: repetition penalty, top-k, top-p, min-p,
// temperature, then a draw from the seeded RNG (or argmax when greedy).
#include <cstdint>
#include <span>
#include <vector>

#include "sampling/rng.h"
#include "sampling/sampling_params.h"

namespace pagoda::sampling {

struct Candidate {
  int32_t id;
  float logit;
  float prob;
};

class Sampler {
 public:
  explicit Sampler(const SamplingParams& params);

  // history: tokens so far (prompt and generated), for the repetition penalty.
  int32_t sample(std::span<const float> logits, std::span<const int32_t> history);

  // The distribution sample() draws from, as (id, prob) pairs with probs
  // summing to 1: a point mass on the argmax when greedy. Speculative
  // decoding compares the target's and the draft's.
  void distribution(std::span<const float> logits, std::span<const int32_t> history, std::vector<Candidate>& out);
  // A draw from a distribution (probs summing to ~1) with this sampler's RNG.
  int32_t draw(std::span<const Candidate> dist);
  double uniform() { return rng_.uniform(); }

  const SamplingParams& params() const { return params_; }

 private:
  // candidates_ = the survivors of the chain with unnormalized probs at the
  // temperature; returns their sum. Not for greedy.
  double weigh_candidates(std::span<const float> logits, std::span<const int32_t> history);
  void apply_repetition_penalty(std::span<const int32_t> history);
  void keep_top_k();
  void keep_top_p();
  void keep_min_p();

  SamplingParams params_;
  Rng rng_;
  std::vector<Candidate> candidates_;  // reused across calls
};

// Index of the largest value; the lowest index wins ties.
int32_t argmax(std::span<const float> logits);

}  // namespace pagoda::sampling
