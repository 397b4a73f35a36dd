#pragma once
// Log-probabilities of the model's distribution (log-softmax of the raw
// logits, before any sampling filter), as OpenAI's logprobs report them.
#include <cstdint>
#include <span>
#include <vector>

namespace pagoda::sampling {

struct TokenLogprob {
  int32_t id = 0;
  float logprob = 0.0f;
};

// The chosen token's log-probability, and the top_n most likely tokens
// (most likely first, lower id first on ties) into `top` (cleared).
float token_logprobs(std::span<const float> logits, int32_t chosen, int top_n, std::vector<TokenLogprob>& top);

}  // namespace pagoda::sampling
