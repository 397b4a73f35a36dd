#pragma once
// The acceptance rule of speculative sampling: a token x drawn from the
// draft's distribution q is kept with probability min(1, p(x) / q(x)), where
// p is the target's; otherwise the token is drawn from the residual
// max(0, p - q), normalised. The result is distributed exactly as p, for any q
// (Leviathan et al. 2023; Chen et al. 2023).
#include <cstdint>
#include <span>
#include <vector>

#include "sampling/sampler.h"

namespace pagoda::sampling {

struct SpeculativeOutcome {
  int32_t token;
  bool accepted;  // the draft's token was kept
};

// p and q as from Sampler::distribution (probs summing to 1); x must have
// q(x) > 0. Random numbers come from `target` (the sequence's own sampler).
SpeculativeOutcome accept_or_resample(std::span<const Candidate> p, std::span<const Candidate> q, int32_t x,
                                      Sampler& target, std::vector<Candidate>& scratch);

}  // namespace pagoda::sampling
