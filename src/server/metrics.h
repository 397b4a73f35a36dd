#pragma once
// The server's Prometheus metrics (text exposition format 0.0.4), names
// prefixed "pagoda:" as vLLM prefixes "vllm:". Thread-safe: handlers record
// from the I/O thread, /metrics renders with the engine's latest stats.
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "engine/engine_config.h"

namespace pagoda::server {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  void render(std::string& out, const std::string& name) const;

 private:
  std::vector<double> bounds_;
  std::vector<uint64_t> counts_;  // per bucket (not cumulative)
  uint64_t count_ = 0;
  double sum_ = 0;
};

struct RequestRecord {
  double ttft_s = -1;        // < 0: no token was produced
  double tpot_s = -1;        // < 0: fewer than two tokens
  double e2e_s = 0;
  double queue_s = -1;       // < 0: never scheduled
  int64_t prompt_tokens = 0;
  int64_t generation_tokens = 0;
  std::vector<std::string> finish_reasons;  // one per choice
};

class Metrics {
 public:
  Metrics();
  void record_request(const RequestRecord& r);
  void record_http(int status);
  std::string render(const engine::EngineStats& engine) const;

 private:
  mutable std::mutex mutex_;
  Histogram ttft_, tpot_, e2e_, queue_, prompt_len_, generation_len_;
  int64_t prompt_tokens_ = 0, generation_tokens_ = 0;
  std::map<std::string, int64_t> finished_by_reason_;
  std::map<int, int64_t> http_by_status_;
};

}  // namespace pagoda::server
