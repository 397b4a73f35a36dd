#include <cmath>

#include "kernels/cpu_features.h"
#include "kernels/ops.h"

namespace pagoda::kernels {
namespace cpu {
void silu_mul_avx2(float* gate, const float* up, int64_t n);  // cpu/ops_avx2.cpp
}  // namespace cpu

void rms_norm(const float* x, const float* weight, float* out, int64_t n, float eps) {
  double sum = 0.0;  // double: the mean of squares of a wide row loses bits in float
  for (int64_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
  const float scale = static_cast<float>(1.0 / std::sqrt(sum / static_cast<double>(n) + eps));
  for (int64_t i = 0; i < n; ++i) out[i] = x[i] * scale * weight[i];
}

void rope(float* x, int n_heads, int64_t position, const RopeParams& p) {
  const float pos = static_cast<float>(position) * p.freq_scale;
  const int half = p.n_rot / 2;
  for (int i = 0; i < half; ++i) {
    float theta = pos * std::pow(p.freq_base, -2.0f * static_cast<float>(i) / static_cast<float>(p.n_rot));
    if (p.freq_factors) theta /= p.freq_factors[i];
    const float c = std::cos(theta);
    const float s = std::sin(theta);
    for (int h = 0; h < n_heads; ++h) {
      float* head = x + static_cast<int64_t>(h) * p.head_dim;
      const int a = p.ordering == RopeOrdering::Normal ? 2 * i : i;
      const int b = p.ordering == RopeOrdering::Normal ? 2 * i + 1 : i + half;
      const float x0 = head[a];
      const float x1 = head[b];
      head[a] = x0 * c - x1 * s;
      head[b] = x0 * s + x1 * c;
    }
  }
}

void silu_mul(float* gate, const float* up, int64_t n) {
  silu_mul(gate, up, n, best_cpu_path());
}

void silu_mul(float* gate, const float* up, int64_t n, CpuPath path) {
  if (path != CpuPath::Reference) {
    cpu::silu_mul_avx2(gate, up, n);
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.0f + std::exp(-g)) * up[i];
  }
}

void softmax(float* x, int64_t n) {
  if (n <= 0) return;
  float max = x[0];
  for (int64_t i = 1; i < n; ++i) max = std::fmax(max, x[i]);
  double sum = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void add(float* y, const float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] += x[i];
}

}  // namespace pagoda::kernels
