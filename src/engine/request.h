#pragma once
// What a client hands the engine (Request) and what comes back (Delta, one
// per step in which a sample produced something).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "sampling/logprobs.h"
#include "sampling/sampling_params.h"

namespace pagoda::engine {

struct Request {
  std::string id;                 // empty: the engine makes one ("req-<n>")
  std::vector<int32_t> prompt;    // token ids, BOS included if wanted
  sampling::SamplingParams sampling;
  int64_t max_tokens = -1;        // -1: until a stop or the context is full
  int64_t min_tokens = 0;         // EOS and stop tokens are ignored before this many
  int n = 1;                      // samples of the same prompt (they share its KV blocks)
  std::vector<std::string> stop;  // stop strings: matched on the text, not emitted
  std::vector<int32_t> stop_token_ids;
  bool ignore_eos = false;
  std::vector<std::pair<int32_t, float>> logit_bias;
  // OpenAI's penalties over the tokens generated so far: presence once per
  // distinct token, frequency per occurrence (-2..2).
  float presence_penalty = 0.0f;
  float frequency_penalty = 0.0f;  // added to the logits before sampling (OpenAI: -100..100)
  int logprobs = -1;              // -1 none; 0 the chosen token's; N also the N most likely
  int priority = 0;               // lower runs first; FCFS within a priority
  bool detokenize = true;
};

enum class FinishReason { None, Stop, Length, Abort };
const char* finish_reason_name(FinishReason r);  // "stop", "length", "abort"

using sampling::TokenLogprob;

struct Delta {
  int index = 0;                    // which of the request's n samples
  std::vector<int32_t> token_ids;   // new tokens (a stop token included)
  std::string text;                 // new text (stop strings and held-back bytes excluded)
  std::vector<TokenLogprob> logprobs;              // per new token, when asked
  std::vector<std::vector<TokenLogprob>> top_logprobs;  // per new token, the N most likely
  FinishReason finish = FinishReason::None;
  std::string stop_reason;          // the stop string or token id that ended it
  // Filled on the first delta of each sample.
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;
  double queue_seconds = 0;  // from submission to the first step that ran it
};

}  // namespace pagoda::engine
