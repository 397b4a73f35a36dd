#pragma once
// The body of a completions / chat response while the engine generates it:
// pulls deltas from the request streams when woken, turns them into SSE
// chunks (streaming) or the final JSON, records the request's metrics at
// the end, and cancels the engine requests if the client goes away.
#include <chrono>
#include <memory>
#include <vector>

#include "engine/engine.h"
#include "server/http_types.h"
#include "server/metrics.h"
#include "server/openai_api.h"

namespace pagoda::server {

class GenerationSource : public ResponseSource {
 public:
  // Submits the plan's requests (engine errors propagate: nothing is left running).
  GenerationSource(engine::Engine& engine, GenerationPlan plan, const ApiContext& ctx, Metrics& metrics);

  bool poll(std::string& out) override;
  void set_notify(std::function<void()> notify) override;
  void cancel() override;

 private:
  using Clock = std::chrono::steady_clock;
  void record_metrics(bool aborted);
  void cancel_streams();

  engine::Engine& engine_;
  GenerationPlan plan_;
  ResponseAssembler assembler_;
  Metrics& metrics_;
  std::vector<std::shared_ptr<engine::RequestStream>> streams_;
  Clock::time_point start_, first_token_, last_token_;
  int64_t tokens_ = 0;
  double queue_s_ = -1;
  bool done_ = false;
};

}  // namespace pagoda::server
