#include "server/metrics.h"

#include <charconv>
#include <cmath>

#include "core/error.h"

namespace pagoda::server {
namespace {

// The shortest text that reads back as the same double, as Prometheus' own
// clients write it: a bucket bound must come out as le="0.1", not
// le="0.10000000000000001", because PromQL selects buckets by the label's
// text and dashboards write the short form.
std::string num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

void header(std::string& out, const std::string& name, const char* type, const char* help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void scalar(std::string& out, const std::string& name, const char* type, const char* help, double v) {
  header(out, name, type, help);
  out += name + " " + num(v) + "\n";
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), counts_(bounds_.size() + 1, 0) {}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  ++counts_[i];
  ++count_;
  sum_ += v;
}

void Histogram::render(std::string& out, const std::string& name) const {
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += counts_[i];
    out += name + "_bucket{le=\"" + num(bounds_[i]) + "\"} " + std::to_string(cumulative) + "\n";
  }
  out += name + "_bucket{le=\"+Inf\"} " + std::to_string(count_) + "\n";
  out += name + "_sum " + num(sum_) + "\n";
  out += name + "_count " + std::to_string(count_) + "\n";
}

Metrics::Metrics()
    : ttft_({0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0}),
      tpot_({0.001, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5}),
      e2e_({0.1, 0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0}),
      queue_({0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0}),
      prompt_len_({1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000}),
      generation_len_({1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000}) {}

void Metrics::record_request(const RequestRecord& r) {
  std::lock_guard lock(mutex_);
  if (r.ttft_s >= 0) ttft_.observe(r.ttft_s);
  if (r.tpot_s >= 0) tpot_.observe(r.tpot_s);
  e2e_.observe(r.e2e_s);
  if (r.queue_s >= 0) queue_.observe(r.queue_s);
  prompt_len_.observe(static_cast<double>(r.prompt_tokens));
  generation_len_.observe(static_cast<double>(r.generation_tokens));
  prompt_tokens_ += r.prompt_tokens;
  generation_tokens_ += r.generation_tokens;
  for (const auto& reason : r.finish_reasons) ++finished_by_reason_[reason.empty() ? "abort" : reason];
}

void Metrics::record_http(int status) {
  std::lock_guard lock(mutex_);
  ++http_by_status_[status];
}

std::string Metrics::render(const engine::EngineStats& e) const {
  std::lock_guard lock(mutex_);
  std::string out;
  scalar(out, "pagoda:num_requests_running", "gauge", "Sequences in the running batch.", static_cast<double>(e.running));
  scalar(out, "pagoda:num_requests_waiting", "gauge", "Sequences waiting to be scheduled.", static_cast<double>(e.waiting));
  const double used = e.kv.n_blocks ? 1.0 - static_cast<double>(e.kv.free_blocks) / static_cast<double>(e.kv.n_blocks) : 0;
  scalar(out, "pagoda:kv_cache_usage_perc", "gauge", "Fraction of KV-cache blocks held by sequences (0..1).", used);
  // Not "_total": that suffix marks a counter, and promtool rejects it on a gauge.
  scalar(out, "pagoda:kv_cache_capacity_blocks", "gauge", "KV-cache blocks in the pool.", static_cast<double>(e.kv.n_blocks));
  scalar(out, "pagoda:prefix_cache_cached_blocks", "gauge", "KV blocks holding a prefix-cache entry.",
         static_cast<double>(e.kv.cached_blocks));
  scalar(out, "pagoda:prefix_cache_hit_rate", "gauge", "Prompt tokens found in the prefix cache / prompt tokens looked up.",
         e.kv.hit_rate());
  scalar(out, "pagoda:prefix_cache_queries_total", "counter", "Prompt tokens looked up in the prefix cache.",
         static_cast<double>(e.kv.prefix_query_tokens));
  scalar(out, "pagoda:prefix_cache_hits_total", "counter", "Prompt tokens found in the prefix cache.",
         static_cast<double>(e.kv.prefix_hit_tokens));
  scalar(out, "pagoda:num_preemptions_total", "counter", "Sequences preempted for lack of KV blocks.",
         static_cast<double>(e.preemptions));
  scalar(out, "pagoda:spec_decode_num_draft_tokens_total", "counter", "Speculative tokens proposed and verified.",
         static_cast<double>(e.spec_proposed));
  scalar(out, "pagoda:spec_decode_num_accepted_tokens_total", "counter", "Speculative tokens accepted.",
         static_cast<double>(e.spec_accepted));
  scalar(out, "pagoda:spec_decode_draft_acceptance_rate", "gauge", "Accepted / proposed speculative tokens.",
         e.spec_proposed ? static_cast<double>(e.spec_accepted) / static_cast<double>(e.spec_proposed) : 0.0);
  scalar(out, "pagoda:spec_decode_mean_accepted_length", "gauge",
         "Mean accepted speculative tokens per verifying step.",
         e.spec_verify_steps ? static_cast<double>(e.spec_accepted) / static_cast<double>(e.spec_verify_steps) : 0.0);
  header(out, "pagoda:spec_decode_num_accepted_tokens_per_pos_total", "counter",
         "Accepted speculative tokens by position in the proposal (0 = first).");
  for (size_t i = 0; i < e.spec_accepted_at.size(); ++i) {
    out += "pagoda:spec_decode_num_accepted_tokens_per_pos_total{position=\"" + std::to_string(i) + "\"} " +
           std::to_string(e.spec_accepted_at[i]) + "\n";
  }
  scalar(out, "pagoda:prompt_tokens_total", "counter", "Prompt tokens of finished requests.",
         static_cast<double>(prompt_tokens_));
  scalar(out, "pagoda:generation_tokens_total", "counter", "Generated tokens of finished requests.",
         static_cast<double>(generation_tokens_));
  header(out, "pagoda:request_success_total", "counter", "Finished choices by finish reason.");
  for (const auto& [reason, n] : finished_by_reason_) {
    out += "pagoda:request_success_total{finished_reason=\"" + reason + "\"} " + std::to_string(n) + "\n";
  }
  header(out, "pagoda:http_responses_total", "counter", "HTTP responses by status code.");
  for (const auto& [status, n] : http_by_status_) {
    out += "pagoda:http_responses_total{status=\"" + std::to_string(status) + "\"} " + std::to_string(n) + "\n";
  }
  header(out, "pagoda:time_to_first_token_seconds", "histogram", "Time from arrival to the first token.");
  ttft_.render(out, "pagoda:time_to_first_token_seconds");
  header(out, "pagoda:time_per_output_token_seconds", "histogram", "Mean time between tokens of a request.");
  tpot_.render(out, "pagoda:time_per_output_token_seconds");
  header(out, "pagoda:e2e_request_latency_seconds", "histogram", "Time from arrival to the last token.");
  e2e_.render(out, "pagoda:e2e_request_latency_seconds");
  header(out, "pagoda:request_queue_time_seconds", "histogram", "Time from arrival to the first step that ran the request.");
  queue_.render(out, "pagoda:request_queue_time_seconds");
  header(out, "pagoda:request_prompt_tokens", "histogram", "Prompt length of finished requests.");
  prompt_len_.render(out, "pagoda:request_prompt_tokens");
  header(out, "pagoda:request_generation_tokens", "histogram", "Generated length of finished requests.");
  generation_len_.render(out, "pagoda:request_generation_tokens");
  return out;
}

}  // namespace pagoda::server
