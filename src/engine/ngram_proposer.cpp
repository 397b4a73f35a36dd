#include "engine/ngram_proposer.h"

#include <algorithm>

namespace pagoda::engine {

void propose_ngram(std::span<const int32_t> tokens, int min_n, int max_n, int k, std::vector<int32_t>& out) {
  const auto len = static_cast<int64_t>(tokens.size());
  for (int64_t n = std::min<int64_t>(max_n, len - 1); n >= min_n && n >= 1; --n) {
    const auto suffix = tokens.subspan(static_cast<size_t>(len - n));
    // Most recent earlier match first: recent context predicts best.
    for (int64_t start = len - n - 1; start >= 0; --start) {
      if (!std::equal(suffix.begin(), suffix.end(), tokens.begin() + start)) continue;
      const int64_t from = start + n;
      const int64_t count = std::min<int64_t>(k, len - from);
      out.insert(out.end(), tokens.begin() + from, tokens.begin() + from + count);
      return;
    }
  }
}

}  // namespace pagoda::engine
