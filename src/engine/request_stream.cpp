#include "engine/request_stream.h"

namespace pagoda::engine {

const char* finish_reason_name(FinishReason r) {
  switch (r) {
    case FinishReason::Stop: return "stop";
    case FinishReason::Length: return "length";
    case FinishReason::Abort: return "abort";
    case FinishReason::None: break;
  }
  return "";
}

std::optional<Delta> RequestStream::pop_locked() {
  if (queue_.empty()) return std::nullopt;
  Delta d = std::move(queue_.front());
  queue_.pop_front();
  return d;
}

std::optional<Delta> RequestStream::next() {
  std::unique_lock lock(mutex_);
  ready_.wait(lock, [&] { return !queue_.empty() || open_ == 0; });
  return pop_locked();
}

std::optional<Delta> RequestStream::next_for(std::chrono::milliseconds timeout, bool* timed_out) {
  std::unique_lock lock(mutex_);
  const bool ready = ready_.wait_for(lock, timeout, [&] { return !queue_.empty() || open_ == 0; });
  if (timed_out) *timed_out = !ready;
  return pop_locked();
}

bool RequestStream::finished() const {
  std::lock_guard lock(mutex_);
  return open_ == 0 && queue_.empty();
}

void RequestStream::set_listener(std::function<void()> listener) {
  std::lock_guard lock(mutex_);
  listener_ = std::move(listener);
}

void RequestStream::push(Delta d) {
  std::function<void()> listener;
  {
    std::lock_guard lock(mutex_);
    if (d.finish != FinishReason::None) --open_;
    queue_.push_back(std::move(d));
    listener = listener_;
  }
  ready_.notify_all();
  if (listener) listener();
}

}  // namespace pagoda::engine
