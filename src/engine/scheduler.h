#pragma once
// Chooses each step's work; it never runs the model. There is no prefill or
// decode phase: every sequence has tokens whose keys/values are not yet
// cached (a whole prompt, a prompt's remaining chunk, or the one token just
// sampled), and under a per-step token budget the scheduler lets them catch
// up. Running sequences go first (so decoders are never starved by a long
// prompt), then waiting ones in (priority, arrival) order while the budget,
// the sequence cap and the KV blocks last. When blocks run out, the newest
// (lowest-priority) running sequence is preempted: its blocks are freed and
// it waits to be recomputed from its tokens (mostly prefix-cache hits).
#include <cstdint>
#include <vector>

#include "engine/sequence.h"
#include "kv/paged_kv_cache.h"

namespace pagoda::engine {

struct SchedulerConfig {
  int64_t max_num_batched_tokens = 512;
  int max_num_seqs = 64;
};

struct ScheduledChunk {
  Sequence* seq;
  int64_t num_tokens;  // tokens from seq->num_computed on, its draft tokens included
};

class Scheduler {
 public:
  Scheduler(const SchedulerConfig& config, kv::PagedKvCache& kv);

  void add(Sequence* seq);  // joins the waiting queue
  // Running sequences created by forking (n > 1): they join running directly.
  void add_running(Sequence* seq);

  // This step's chunks. `too_big` gets running sequences that cannot get a
  // block even with every other sequence preempted (the caller ends them).
  const std::vector<ScheduledChunk>& schedule(std::vector<Sequence*>& too_big);

  // Takes seq out of the queues and frees its blocks.
  void remove(Sequence* seq);

  size_t num_running() const { return running_.size(); }
  const std::vector<Sequence*>& running() const { return running_; }
  size_t num_waiting() const { return waiting_.size(); }
  int64_t num_preemptions() const { return preemptions_; }
  bool empty() const { return running_.empty() && waiting_.empty(); }

 private:
  void preempt(Sequence* seq);
  void schedule_running(int64_t& budget, std::vector<Sequence*>& too_big);
  void schedule_waiting(int64_t& budget);

  SchedulerConfig config_;
  kv::PagedKvCache& kv_;
  std::vector<Sequence*> running_;  // admission order
  std::vector<Sequence*> waiting_;  // (priority, arrival) order
  std::vector<ScheduledChunk> out_;
  std::vector<kv::BlockId> hit_;
  int64_t preemptions_ = 0;
};

}  // namespace pagoda::engine
