#include <cmath>
#include <limits>
#include <vector>

#include "kernels/attention.h"

namespace pagoda::kernels {
namespace cpu {
// cpu/attention_avx2.cpp; false when the shape has no AVX2 kernel (head_dim
// not a multiple of 8).
bool attend_avx2(const float* q, const float* keys, const float* values, int64_t n_kv, int64_t kv_row_stride,
                 const AttentionShape& shape, int head_begin, int head_end, float* out);
}  // namespace cpu

namespace {

void attend_reference(const float* q, const float* keys, const float* values, int64_t n_kv, int64_t kv_row_stride,
            const AttentionShape& shape, int head_begin, int head_end, float* out) {
  const int hd = shape.head_dim;
  const int group = shape.n_head / shape.n_head_kv;
  for (int h = head_begin; h < head_end; ++h) {
    const float* qh = q + static_cast<int64_t>(h) * hd;
    const int64_t kv_offset = static_cast<int64_t>(h / group) * hd;
    float* acc = out + static_cast<int64_t>(h) * hd;
    for (int d = 0; d < hd; ++d) acc[d] = 0.0f;
    // Online softmax: running max m and normaliser l; rescale acc when m grows.
    float m = -std::numeric_limits<float>::infinity();
    float l = 0.0f;
    for (int64_t p = 0; p < n_kv; ++p) {
      const float* k = keys + p * kv_row_stride + kv_offset;
      float s = 0.0f;
      for (int d = 0; d < hd; ++d) s += qh[d] * k[d];
      s *= shape.scale;
      const float* v = values + p * kv_row_stride + kv_offset;
      if (s > m) {
        const float correction = std::exp(m - s);
        l = l * correction + 1.0f;
        for (int d = 0; d < hd; ++d) acc[d] = acc[d] * correction + v[d];
        m = s;
      } else {
        const float w = std::exp(s - m);
        l += w;
        for (int d = 0; d < hd; ++d) acc[d] += w * v[d];
      }
    }
    const float inv = l > 0.0f ? 1.0f / l : 0.0f;
    for (int d = 0; d < hd; ++d) acc[d] *= inv;
  }
}

}  // namespace

void attend(const float* q, const float* keys, const float* values, int64_t n_kv, int64_t kv_row_stride,
            const AttentionShape& shape, int head_begin, int head_end, float* out, CpuPath path) {
  if (path != CpuPath::Reference &&
      cpu::attend_avx2(q, keys, values, n_kv, kv_row_stride, shape, head_begin, head_end, out)) {
    return;
  }
  attend_reference(q, keys, values, n_kv, kv_row_stride, shape, head_begin, head_end, out);
}

void attend(const float* q, const float* keys, const float* values, int64_t n_kv, int64_t kv_row_stride,
            const AttentionShape& shape, int head_begin, int head_end, float* out) {
  attend(q, keys, values, n_kv, kv_row_stride, shape, head_begin, head_end, out, best_cpu_path());
}

}  // namespace pagoda::kernels
