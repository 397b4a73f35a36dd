#pragma once
// Causal attention of one query token against the cached keys/values of its
// sequence, with grouped-query heads and an online (single pass) softmax so
// that no score row is materialised.
#include <cstdint>

#include "kernels/cpu_features.h"

namespace pagoda::kernels {

struct AttentionShape {
  int n_head = 0;
  int n_head_kv = 0;     // n_head is a multiple of it (GQA)
  int head_dim = 0;
  float scale = 1.0f;    // usually 1/sqrt(head_dim)
};

// q [n_head x head_dim] of one token; keys/values: n_kv rows, row p at
// keys + p*kv_row_stride, each [n_head_kv x head_dim]; out [n_head x head_dim].
// Heads [head_begin, head_end) only, so callers can split heads over threads.
// Runs on best_cpu_path(); the overload with a path is for tests.
void attend(const float* q, const float* keys, const float* values, int64_t n_kv, int64_t kv_row_stride,
            const AttentionShape& shape, int head_begin, int head_end, float* out);
void attend(const float* q, const float* keys, const float* values, int64_t n_kv, int64_t kv_row_stride,
            const AttentionShape& shape, int head_begin, int head_end, float* out, CpuPath path);

}  // namespace pagoda::kernels
