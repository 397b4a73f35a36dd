#pragma once
// The thread-safe channel from the engine's step loop to one client: the
// loop pushes deltas, the client pops them (blocking) until every sample
// has finished.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "engine/request.h"

namespace pagoda::engine {

class RequestStream {
 public:
  RequestStream(std::string id, int n_samples) : id_(std::move(id)), samples_(n_samples), open_(n_samples) {}

  const std::string& id() const { return id_; }
  int samples() const { return samples_; }

  // The next delta; nullopt once all samples have finished and every delta
  // was taken. Blocks until one is there.
  std::optional<Delta> next();
  // As next(), but gives up after `timeout` (nullopt, with timed_out set).
  std::optional<Delta> next_for(std::chrono::milliseconds timeout, bool* timed_out);
  bool finished() const;

  // Called (on the engine's thread, without the lock held) after each push,
  // so an event-driven reader can be woken instead of blocking a thread.
  void set_listener(std::function<void()> listener);

  // Engine side.
  void push(Delta d);

 private:
  std::optional<Delta> pop_locked();

  const std::string id_;
  const int samples_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Delta> queue_;
  int open_;  // samples not yet finished
  std::function<void()> listener_;
};

}  // namespace pagoda::engine
