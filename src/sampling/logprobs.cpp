#include "sampling/logprobs.h"

#include <algorithm>
#include <cmath>

namespace pagoda::sampling {

float token_logprobs(std::span<const float> logits, int32_t chosen, int top_n, std::vector<TokenLogprob>& top) {
  float max_logit = -INFINITY;
  for (const float v : logits) max_logit = std::max(max_logit, v);
  double sum = 0.0;
  for (const float v : logits) sum += std::exp(static_cast<double>(v - max_logit));
  const auto log_z = static_cast<float>(static_cast<double>(max_logit) + std::log(sum));
  top.clear();
  if (top_n > 0) {
    const auto n = std::min<size_t>(static_cast<size_t>(top_n), logits.size());
    std::vector<int32_t> ids(logits.size());
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>(i);
    const auto more_likely = [&](int32_t a, int32_t b) {
      return logits[static_cast<size_t>(a)] != logits[static_cast<size_t>(b)]
                 ? logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)]
                 : a < b;
    };
    std::partial_sort(ids.begin(), ids.begin() + static_cast<std::ptrdiff_t>(n), ids.end(), more_likely);
    for (size_t i = 0; i < n; ++i) top.push_back({ids[i], logits[static_cast<size_t>(ids[i])] - log_z});
  }
  return logits[static_cast<size_t>(chosen)] - log_z;
}

}  // namespace pagoda::sampling
