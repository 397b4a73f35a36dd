#include "sampling/speculative.h"

#include <algorithm>

namespace pagoda::sampling {
namespace {

// q sorted by id, for O(log n) look-ups while walking p.
class ProbById {
 public:
  explicit ProbById(std::span<const Candidate> dist) : sorted_(dist.begin(), dist.end()) {
    std::sort(sorted_.begin(), sorted_.end(), [](const Candidate& a, const Candidate& b) { return a.id < b.id; });
  }
  float operator()(int32_t id) const {
    const auto it = std::lower_bound(sorted_.begin(), sorted_.end(), id,
                                     [](const Candidate& c, int32_t v) { return c.id < v; });
    return it != sorted_.end() && it->id == id ? it->prob : 0.0f;
  }

 private:
  std::vector<Candidate> sorted_;
};

}  // namespace

SpeculativeOutcome accept_or_resample(std::span<const Candidate> p, std::span<const Candidate> q, int32_t x,
                                      Sampler& target, std::vector<Candidate>& scratch) {
  const ProbById q_of(q);
  double px = 0.0;
  for (const auto& c : p) {
    if (c.id == x) px = c.prob;
  }
  // u < p/q, written without dividing (q(x) > 0 by construction).
  if (target.uniform() * q_of(x) < px) return {x, true};
  scratch.clear();
  for (const auto& c : p) {
    const float r = std::max(0.0f, c.prob - q_of(c.id));
    if (r > 0.0f) scratch.push_back({c.id, c.logit, r});
  }
  // p == q up to rounding: rejection had probability ~0; draw from p.
  if (scratch.empty()) return {target.draw(p), false};
  return {target.draw(scratch), false};
}

}  // namespace pagoda::sampling
