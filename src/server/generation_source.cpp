#include "server/generation_source.h"

#include "core/log.h"
#include "server/api_error.h"

namespace pagoda::server {

GenerationSource::GenerationSource(engine::Engine& engine, GenerationPlan plan, const ApiContext& ctx,
                                   Metrics& metrics)
    : engine_(engine), plan_(std::move(plan)), assembler_(plan_, ctx), metrics_(metrics), start_(Clock::now()) {
  try {
    for (size_t i = 0; i < plan_.requests.size(); ++i) {
      plan_.requests[i].id = plan_.id + "-" + std::to_string(i);
      streams_.push_back(engine_.submit(plan_.requests[i]));
    }
  } catch (...) {
    cancel_streams();  // the prompts already submitted
    throw;
  }
}

bool GenerationSource::poll(std::string& out) {
  if (done_) return true;
  bool all_finished = true;
  for (size_t i = 0; i < streams_.size(); ++i) {
    bool timed_out = false;
    while (std::optional<engine::Delta> d = streams_[i]->next_for(std::chrono::milliseconds(0), &timed_out)) {
      if (d->prompt_tokens > 0 && queue_s_ < 0) queue_s_ = d->queue_seconds;
      if (!d->token_ids.empty()) {
        last_token_ = Clock::now();
        if (tokens_ == 0) first_token_ = last_token_;
        tokens_ += static_cast<int64_t>(d->token_ids.size());
      }
      if (plan_.stream) out += assembler_.stream_chunks(i, *d);
      else assembler_.add(i, *d);
    }
    all_finished = all_finished && streams_[i]->finished();
  }
  if (!all_finished) return false;
  if (plan_.stream) {
    out += assembler_.stream_end();
  } else {
    out += assembler_.final_response().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  record_metrics(/*aborted=*/false);
  done_ = true;
  return true;
}

void GenerationSource::record_metrics(bool aborted) {
  const json r = assembler_.final_response();
  RequestRecord rec;
  const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  rec.e2e_s = seconds(Clock::now() - start_);
  rec.queue_s = queue_s_;
  if (tokens_ > 0) rec.ttft_s = seconds(first_token_ - start_);
  if (tokens_ > 1) rec.tpot_s = seconds(last_token_ - first_token_) / static_cast<double>(tokens_ - 1);
  rec.prompt_tokens = r["usage"]["prompt_tokens"].get<int64_t>();
  rec.generation_tokens = r["usage"]["completion_tokens"].get<int64_t>();
  for (const json& c : r["choices"]) {
    rec.finish_reasons.push_back(!aborted && c["finish_reason"].is_string() ? c["finish_reason"].get<std::string>() : "abort");
  }
  metrics_.record_request(rec);
  log::info(str_cat("request id=", plan_.id, " endpoint=", plan_.endpoint == Endpoint::Chat ? "chat" : "completions",
                    " stream=", plan_.stream, " aborted=", aborted, " prompt_tokens=", rec.prompt_tokens,
                    " completion_tokens=", rec.generation_tokens, " ttft_ms=", static_cast<int64_t>(rec.ttft_s * 1000),
                    " latency_ms=", static_cast<int64_t>(rec.e2e_s * 1000)));
}

void GenerationSource::set_notify(std::function<void()> notify) {
  for (auto& s : streams_) s->set_listener(notify);
}

void GenerationSource::cancel_streams() {
  for (auto& s : streams_) {
    s->set_listener({});
    engine_.cancel(s->id());
  }
}

void GenerationSource::cancel() {
  cancel_streams();
  if (!done_) {
    // The client left: the request counts as aborted, every choice of it.
    done_ = true;
    record_metrics(/*aborted=*/true);
  }
}

}  // namespace pagoda::server
