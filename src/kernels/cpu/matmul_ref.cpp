// Reference matmul: dequantize a weight row once, dot it with every token.
// The SIMD paths (a later step) keep this as the ground truth.
#include <algorithm>
#include <vector>

#include "kernels/matmul.h"
#include "quant/dequantize.h"

namespace pagoda::kernels {
namespace {

float dot(const float* a, const float* b, int64_t n) {
  // Four partial sums: lets the compiler vectorise without -ffast-math.
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

}  // namespace

void get_row(const MatrixView& w, int64_t index, float* dst) {
  quant::dequantize_row(w.type, w.row(index), dst, w.cols);
}

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  const bool is_f32 = w.type == quant::TensorType::F32;
  pool.parallel_for(w.rows, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> row_buffer;
    if (!is_f32 && row_buffer.size() < static_cast<size_t>(w.cols)) row_buffer.resize(static_cast<size_t>(w.cols));
    for (int64_t r = begin; r < end; ++r) {
      const float* wr = static_cast<const float*>(w.row(r));
      if (!is_f32) {
        quant::dequantize_row(w.type, w.row(r), row_buffer.data(), w.cols);
        wr = row_buffer.data();
      }
      for (int64_t t = 0; t < n_tokens; ++t) y[t * w.rows + r] = dot(wr, x + t * w.cols, w.cols);
    }
  });
}

}  // namespace pagoda::kernels
