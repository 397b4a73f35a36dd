#include "engine/sequence.h"

namespace pagoda::engine {

namespace {

sampling::SamplingParams sample_params(const Request& r, int index) {
  sampling::SamplingParams p = r.sampling;
  p.seed += static_cast<uint64_t>(index) * 0x9E3779B97F4A7C15ULL;  // n samples draw different streams
  return p;
}

}  // namespace

Sequence::Sequence(std::shared_ptr<RequestState> state, int index_, uint64_t arrival_,
                   const tokenizer::Tokenizer* tokenizer)
    : req(std::move(state)),
      index(index_),
      arrival(arrival_),
      tokens(req->request.prompt),
      num_prompt(static_cast<int64_t>(req->request.prompt.size())),
      sampler(sample_params(req->request, index_)),
      text(req->request.detokenize ? tokenizer : nullptr, req->request.stop) {}

void Sequence::stamp_first_delta(Delta& d) {
  if (sent_first) return;
  d.prompt_tokens = num_prompt;
  d.cached_prompt_tokens = num_cached_prompt;
  d.queue_seconds = queue_seconds > 0 ? queue_seconds : 0.0;
  sent_first = true;
}

}  // namespace pagoda::engine
