#pragma once
// Per-request sampling settings. Defaults follow the common CLI defaults
// (llama.cpp / vLLM): a temperature of 0 means greedy.
#include <cstdint>

namespace pagoda::sampling {

struct SamplingParams {
  float temperature = 0.8f;
  int top_k = 40;               // <= 0: off
  float top_p = 0.95f;          // >= 1: off
  float min_p = 0.05f;          // <= 0: off
  float repetition_penalty = 1.0f;  // 1: off; > 1 discourages tokens seen in the last repeat_last_n
  int repeat_last_n = 64;
  uint64_t seed = 0xC0FFEE;

  bool greedy() const { return temperature <= 0.0f; }
};

// pagoda::Error naming the first out-of-range field.
void validate(const SamplingParams& params);

}  // namespace pagoda::sampling
