#include "engine/scheduler.h"

#include <algorithm>

#include "core/error.h"

namespace pagoda::engine {
namespace {

bool runs_before(const Sequence* a, const Sequence* b) {
  if (a->priority() != b->priority()) return a->priority() < b->priority();
  return a->arrival < b->arrival;
}

}  // namespace

Scheduler::Scheduler(const SchedulerConfig& config, kv::PagedKvCache& kv) : config_(config), kv_(kv) {
  if (config.max_num_batched_tokens < 1) fail("max-num-batched-tokens must be >= 1");
  if (config.max_num_seqs < 1) fail("max-num-seqs must be >= 1");
}

void Scheduler::add(Sequence* seq) {
  seq->status = SeqStatus::Waiting;
  waiting_.insert(std::upper_bound(waiting_.begin(), waiting_.end(), seq, runs_before), seq);
}

void Scheduler::add_running(Sequence* seq) {
  seq->status = SeqStatus::Running;
  running_.push_back(seq);
}

void Scheduler::remove(Sequence* seq) {
  std::erase(running_, seq);
  std::erase(waiting_, seq);
  kv_.free(seq->blocks);
}

void Scheduler::preempt(Sequence* seq) {
  std::erase(running_, seq);
  kv_.free(seq->blocks);
  seq->num_computed = 0;
  add(seq);
  ++preemptions_;
}

const std::vector<ScheduledChunk>& Scheduler::schedule(std::vector<Sequence*>& too_big) {
  out_.clear();
  int64_t budget = config_.max_num_batched_tokens;
  const int64_t preempted_before = preemptions_;
  schedule_running(budget, too_big);
  // After a preemption the pool is short: admitting new work would only
  // preempt again next step.
  if (preemptions_ == preempted_before) schedule_waiting(budget);
  return out_;
}

void Scheduler::schedule_running(int64_t& budget, std::vector<Sequence*>& too_big) {
  for (size_t i = 0; i < running_.size() && budget > 0;) {
    Sequence* seq = running_[i];
    // A decoding sequence also verifies its draft (as far as the budget goes).
    const int64_t draft = seq->num_uncomputed() == 1 ? static_cast<int64_t>(seq->draft.size()) : 0;
    const int64_t n = std::min(seq->num_uncomputed() + draft, budget);
    bool scheduled = true;
    while (!kv_.allocate_slots(seq->blocks, seq->num_computed, seq->num_computed + n)) {
      // The victim: the latest to run among those not yet given work this step.
      auto victim = std::max_element(running_.begin() + static_cast<std::ptrdiff_t>(i), running_.end(),
                                     [](const Sequence* a, const Sequence* b) { return runs_before(a, b); });
      if (*victim == seq) {
        if (running_.size() == 1) {
          // Nothing left to take blocks from: it can never fit.
          std::erase(running_, seq);
          too_big.push_back(seq);
        } else {
          preempt(seq);
        }
        scheduled = false;
        break;
      }
      preempt(*victim);
    }
    if (!scheduled) continue;  // running_[i] is now the next sequence
    out_.push_back({seq, n});
    budget -= n;
    ++i;
  }
}

void Scheduler::schedule_waiting(int64_t& budget) {
  while (!waiting_.empty() && budget > 0 && static_cast<int>(running_.size()) < config_.max_num_seqs) {
    Sequence* seq = waiting_.front();
    hit_.clear();
    const int64_t cached = kv_.find_cached_prefix(seq->tokens, seq->blocks, hit_);
    const int64_t n = std::min(static_cast<int64_t>(seq->tokens.size()) - cached, budget);
    if (!kv_.allocate_slots(seq->blocks, cached, cached + n, hit_)) break;
    kv_.record_prefix_lookup(static_cast<int64_t>(seq->tokens.size()), cached);
    if (seq->num_generated() == 0) seq->num_cached_prompt = cached;
    seq->num_computed = cached;
    if (seq->queue_seconds < 0) {
      seq->queue_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - seq->arrived).count();
    }
    waiting_.erase(waiting_.begin());
    add_running(seq);
    out_.push_back({seq, n});
    budget -= n;
  }
}

}  // namespace pagoda::engine
