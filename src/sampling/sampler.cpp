#include "sampling/sampler.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "core/error.h"

namespace pagoda::sampling {

void validate(const SamplingParams& p) {
  if (!std::isfinite(p.temperature) || p.temperature < 0.0f) fail("temperature must be >= 0, got ", p.temperature);
  if (!(p.top_p > 0.0f && p.top_p <= 1.0f)) fail("top_p must be in (0, 1], got ", p.top_p);
  if (!(p.min_p >= 0.0f && p.min_p <= 1.0f)) fail("min_p must be in [0, 1], got ", p.min_p);
  if (!(p.repetition_penalty > 0.0f) || !std::isfinite(p.repetition_penalty)) {
    fail("repetition_penalty must be > 0, got ", p.repetition_penalty);
  }
  if (p.repeat_last_n < 0) fail("repeat_last_n must be >= 0, got ", p.repeat_last_n);
}

int32_t argmax(std::span<const float> logits) {
  int32_t best = 0;
  for (size_t i = 1; i < logits.size(); ++i) {
    if (logits[i] > logits[static_cast<size_t>(best)]) best = static_cast<int32_t>(i);
  }
  return best;
}

Sampler::Sampler(const SamplingParams& params) : params_(params), rng_(params.seed) { validate(params); }

int32_t Sampler::sample(std::span<const float> logits, std::span<const int32_t> history) {
  if (params_.greedy()) {
    candidates_.resize(logits.size());
    for (size_t i = 0; i < logits.size(); ++i) candidates_[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
    apply_repetition_penalty(history);
    int32_t best = 0;
    for (size_t i = 1; i < candidates_.size(); ++i) {
      if (candidates_[i].logit > candidates_[static_cast<size_t>(best)].logit) best = static_cast<int32_t>(i);
    }
    return candidates_[static_cast<size_t>(best)].id;
  }
  const double sum = weigh_candidates(logits, history);
  double r = rng_.uniform() * sum;
  for (const auto& c : candidates_) {
    r -= c.prob;
    if (r < 0.0) return c.id;
  }
  return candidates_.back().id;
}

double Sampler::weigh_candidates(std::span<const float> logits, std::span<const int32_t> history) {
  candidates_.resize(logits.size());
  for (size_t i = 0; i < logits.size(); ++i) candidates_[i] = {static_cast<int32_t>(i), logits[i], 0.0f};
  apply_repetition_penalty(history);
  keep_top_k();
  keep_top_p();
  keep_min_p();
  // Temperature, then softmax over the survivors.
  float max_logit = -INFINITY;
  for (const auto& c : candidates_) max_logit = std::max(max_logit, c.logit);
  double sum = 0.0;
  for (auto& c : candidates_) {
    c.prob = std::exp((c.logit - max_logit) / params_.temperature);
    sum += c.prob;
  }
  return sum;
}

void Sampler::distribution(std::span<const float> logits, std::span<const int32_t> history, std::vector<Candidate>& out) {
  out.clear();
  if (params_.greedy()) {
    const int32_t id = sample(logits, history);
    out.push_back({id, logits[static_cast<size_t>(id)], 1.0f});
    return;
  }
  const double sum = weigh_candidates(logits, history);
  out.reserve(candidates_.size());
  for (const auto& c : candidates_) out.push_back({c.id, c.logit, static_cast<float>(c.prob / sum)});
}

int32_t Sampler::draw(std::span<const Candidate> dist) {
  double sum = 0.0;
  for (const auto& c : dist) sum += c.prob;
  double r = rng_.uniform() * sum;
  for (const auto& c : dist) {
    r -= c.prob;
    if (r < 0.0) return c.id;
  }
  return dist.back().id;
}

void Sampler::apply_repetition_penalty(std::span<const int32_t> history) {
  if (params_.repetition_penalty == 1.0f || params_.repeat_last_n == 0 || history.empty()) return;
  const size_t n = std::min(history.size(), static_cast<size_t>(params_.repeat_last_n));
  std::unordered_set<int32_t> seen(history.end() - static_cast<std::ptrdiff_t>(n), history.end());
  for (int32_t id : seen) {
    if (id < 0 || static_cast<size_t>(id) >= candidates_.size()) continue;
    float& logit = candidates_[static_cast<size_t>(id)].logit;
    // As in CTRL: shrink positive logits, push negative ones further down.
    logit = logit > 0.0f ? logit / params_.repetition_penalty : logit * params_.repetition_penalty;
  }
}

void Sampler::keep_top_k() {
  const auto by_logit = [](const Candidate& a, const Candidate& b) {
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
  };
  size_t k = candidates_.size();
  if (params_.top_k > 0) k = std::min(k, static_cast<size_t>(params_.top_k));
  std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(k), candidates_.end(),
                    by_logit);
  candidates_.resize(k);
}

void Sampler::keep_top_p() {
  if (params_.top_p >= 1.0f || candidates_.size() <= 1) return;
  // Probabilities at temperature 1 (llama.cpp applies top-p before temperature too).
  const float max_logit = candidates_.front().logit;
  double sum = 0.0;
  for (auto& c : candidates_) sum += (c.prob = std::exp(c.logit - max_logit));
  double cumulative = 0.0;
  size_t keep = candidates_.size();
  for (size_t i = 0; i < candidates_.size(); ++i) {
    cumulative += candidates_[i].prob / sum;
    if (cumulative >= params_.top_p) {
      keep = i + 1;
      break;
    }
  }
  candidates_.resize(keep);
}

void Sampler::keep_min_p() {
  if (params_.min_p <= 0.0f || candidates_.size() <= 1) return;
  // p_i >= min_p * p_max  <=>  logit_i >= logit_max + log(min_p)
  const float threshold = candidates_.front().logit + std::log(params_.min_p);
  size_t keep = 1;
  while (keep < candidates_.size() && candidates_[keep].logit >= threshold) ++keep;
  candidates_.resize(keep);
}

}  // namespace pagoda::sampling
