#pragma once
// The engine as clients use it: thread-safe submit / cancel / stats, with
// the step loop on a thread of its own. The loop sleeps when there is no
// work and wakes on a submit.
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/thread_pool.h"
#include "engine/engine_core.h"

namespace pagoda::engine {

class Engine {
 public:
  Engine(model::Model& model, const tokenizer::Tokenizer* tokenizer, const EngineConfig& config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // pagoda::Error for a bad request, OverloadedError when the waiting queue
  // is full; otherwise the stream of its deltas.
  std::shared_ptr<RequestStream> submit(Request request);
  void cancel(const std::string& id);
  EngineStats stats() const;
  const EngineConfig& config() const { return core_.config(); }
  size_t kv_cache_bytes() const { return core_.kv_cache().bytes(); }  // fixed at construction

 private:
  void loop();
  void take_inbox();

  struct Pending {
    Request request;
    std::shared_ptr<RequestStream> stream;
  };

  ThreadPool pool_;
  EngineCore core_;  // touched only by the loop thread (and validate(), which reads constants)
  std::atomic<uint64_t> next_id_{0};

  mutable std::mutex mutex_;  // guards everything below
  std::condition_variable wake_;
  std::vector<Pending> inbox_;
  std::vector<std::string> cancels_;
  EngineStats stats_;
  bool stop_ = false;
  std::string loop_error_;

  std::thread thread_;
};

}  // namespace pagoda::engine
