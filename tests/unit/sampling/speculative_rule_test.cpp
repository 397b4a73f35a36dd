// The speculative-sampling acceptance rule leaves the target distribution
// unchanged, whatever the draft's distribution.
#include "sampling/speculative.h"

#include <gtest/gtest.h>

#include <cmath>

namespace pagoda::sampling {
namespace {

std::vector<Candidate> dist(const std::vector<float>& probs) {
  std::vector<Candidate> out;
  for (size_t i = 0; i < probs.size(); ++i) {
    if (probs[i] > 0) out.push_back({static_cast<int32_t>(i), 0.0f, probs[i]});
  }
  return out;
}

// Histogram of accept_or_resample outcomes with x drawn from q.
std::vector<double> outcome_frequencies(const std::vector<float>& p, const std::vector<float>& q, int trials,
                                        double* acceptance) {
  SamplingParams sp;
  sp.seed = 42;
  Sampler target(sp);
  sp.seed = 43;
  Sampler draft(sp);
  const auto pd = dist(p), qd = dist(q);
  std::vector<Candidate> scratch;
  std::vector<double> freq(p.size(), 0.0);
  int accepted = 0;
  for (int t = 0; t < trials; ++t) {
    const int32_t x = draft.draw(qd);
    const SpeculativeOutcome o = accept_or_resample(pd, qd, x, target, scratch);
    freq[static_cast<size_t>(o.token)] += 1.0 / trials;
    accepted += o.accepted ? 1 : 0;
  }
  *acceptance = static_cast<double>(accepted) / trials;
  return freq;
}

TEST(SpeculativeRule, OutcomesFollowTheTargetForAnyDraft) {
  const std::vector<float> p = {0.5f, 0.25f, 0.15f, 0.1f, 0.0f};
  const std::vector<std::vector<float>> drafts = {
      {0.2f, 0.2f, 0.2f, 0.2f, 0.2f},   // uniform, with mass where p has none
      {0.0f, 0.0f, 0.0f, 0.0f, 1.0f},   // entirely wrong: always rejected
      {0.5f, 0.25f, 0.15f, 0.1f, 0.0f}, // exact: always accepted
      {0.1f, 0.1f, 0.1f, 0.7f, 0.0f},
  };
  const int trials = 200000;
  for (const auto& q : drafts) {
    double acceptance = 0;
    const std::vector<double> f = outcome_frequencies(p, q, trials, &acceptance);
    double expected_acceptance = 0;  // sum of min(p, q)
    for (size_t i = 0; i < p.size(); ++i) {
      // 5 standard deviations of a binomial frequency.
      EXPECT_NEAR(f[i], p[i], 5 * std::sqrt(p[i] * (1 - p[i]) / trials) + 1e-9) << "token " << i;
      expected_acceptance += std::min(p[i], q[i]);
    }
    EXPECT_NEAR(acceptance, expected_acceptance, 0.01);
  }
}

}  // namespace
}  // namespace pagoda::sampling
