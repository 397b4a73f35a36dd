#pragma once
// Products of a weight matrix W [rows x cols] (any dequantizable type) with
// a batch of activation rows X [n_tokens x cols] (F32): Y = X * W^T,
// Y [n_tokens x rows]. Work is split over output rows, so each weight row is
// read once per call whatever the batch size.
#include <cstdint>
#include <initializer_list>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/cpu_features.h"
#include "kernels/tensor_view.h"

namespace pagoda::kernels {

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool);
void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool, CpuPath path);

// Several products sharing one input X (Q/K/V, or gate/up): the input is
// quantized once and all rows go to the threads in one dispatch.
struct MatmulOutput {
  const MatrixView* w;
  float* y;  // [n_tokens x w->rows]
};
void matmul_shared_input(std::initializer_list<MatmulOutput> outputs, const float* x, int64_t n_tokens,
                         ThreadPool& pool);

// Copies row `index` of W into dst[0..cols) as F32 (embedding look-up).
void get_row(const MatrixView& w, int64_t index, float* dst);

}  // namespace pagoda::kernels
