#include "engine/engine.h"

#include "core/log.h"

namespace pagoda::engine {

Engine::Engine(model::Model& model, const tokenizer::Tokenizer* tokenizer, const EngineConfig& config)
    : pool_(config.threads > 0 ? config.threads : default_thread_count()),
      core_(model, tokenizer, config, pool_),
      stats_(core_.stats()),
      thread_([this] { loop(); }) {}

Engine::~Engine() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

std::shared_ptr<RequestStream> Engine::submit(Request request) {
  core_.validate(request);
  if (request.id.empty()) request.id = str_cat("req-", next_id_++);
  auto stream = std::make_shared<RequestStream>(request.id, request.n);
  {
    std::lock_guard lock(mutex_);
    if (!loop_error_.empty()) fail("the engine stopped after an internal error: ", loop_error_);
    const auto queued = stats_.waiting + static_cast<int64_t>(inbox_.size());
    if (queued >= core_.config().max_waiting) {
      throw OverloadedError(str_cat("the server is overloaded: ", queued, " requests are waiting; try again later"));
    }
    inbox_.push_back({std::move(request), stream});
  }
  wake_.notify_all();
  return stream;
}

void Engine::cancel(const std::string& id) {
  {
    std::lock_guard lock(mutex_);
    cancels_.push_back(id);
  }
  wake_.notify_all();
}

EngineStats Engine::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Engine::take_inbox() {
  std::vector<Pending> inbox;
  std::vector<std::string> cancels;
  {
    std::lock_guard lock(mutex_);
    inbox.swap(inbox_);
    cancels.swap(cancels_);
  }
  for (Pending& p : inbox) {
    try {
      core_.add(std::move(p.request), p.stream);
    } catch (const Error& e) {  // e.g. an id already in use
      Delta d;
      d.finish = FinishReason::Abort;
      d.stop_reason = e.what();
      for (int i = 0; i < p.stream->samples(); ++i) {
        d.index = i;
        p.stream->push(d);
      }
    }
  }
  for (const std::string& id : cancels) core_.cancel(id);
}

void Engine::loop() {
  while (true) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stop_ || !inbox_.empty() || !cancels_.empty() || core_.has_work(); });
      if (stop_) return;
    }
    try {
      take_inbox();
      core_.step();
    } catch (const std::exception& e) {
      // A bug, not a user error (requests are validated at submit): keep the
      // process up, refuse new work and say why.
      log::error(str_cat("engine step failed: ", e.what()));
      {
        std::lock_guard lock(mutex_);
        loop_error_ = e.what();
      }
      try {
        core_.abort_all();
      } catch (const std::exception& again) {
        log::error(str_cat("cannot end the requests in flight: ", again.what()));
      }
      return;
    }
    const EngineStats s = core_.stats();
    std::lock_guard lock(mutex_);
    stats_ = s;
  }
}

}  // namespace pagoda::engine
