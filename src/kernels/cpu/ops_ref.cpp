#include <algorithm>
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

namespace {

// The pair index where a YaRN correction starts (beta_fast) or ends
// (beta_slow): the dimension whose wavelength turns `rotations` times over
// the original context.
float yarn_corr_dim(int n_rot, int64_t orig_ctx, float rotations, float base) {
  return static_cast<float>(n_rot) *
         std::log(static_cast<float>(orig_ctx) / (rotations * 2.0f * static_cast<float>(M_PI))) /
         (2.0f * std::log(base));
}

}  // namespace

void rope(float* x, int n_heads, int64_t position, const RopeParams& p) {
  const int half = p.n_rot / 2;
  float corr_low = 0.0f, corr_high = 0.0f, mscale = p.attn_factor;
  if (p.yarn_ext_factor != 0.0f) {
    corr_low = std::max(0.0f, std::floor(yarn_corr_dim(p.n_rot, p.yarn_orig_ctx, p.yarn_beta_fast, p.freq_base)));
    corr_high = std::min(static_cast<float>(p.n_rot - 1),
                         std::ceil(yarn_corr_dim(p.n_rot, p.yarn_orig_ctx, p.yarn_beta_slow, p.freq_base)));
    mscale *= 1.0f + 0.1f * std::log(1.0f / p.freq_scale);
  }
  for (int i = 0; i < half; ++i) {
    float extrapolated = static_cast<float>(position) *
                         std::pow(p.freq_base, -2.0f * static_cast<float>(i) / static_cast<float>(p.n_rot));
    if (p.freq_factors) extrapolated /= p.freq_factors[i];
    float theta = extrapolated * p.freq_scale;
    if (p.yarn_ext_factor != 0.0f) {
      const float y = (static_cast<float>(i) - corr_low) / std::max(0.001f, corr_high - corr_low);
      const float mix = (1.0f - std::min(1.0f, std::max(0.0f, y))) * p.yarn_ext_factor;
      theta = theta * (1.0f - mix) + extrapolated * mix;
    }
    const float c = std::cos(theta) * mscale;
    const float s = std::sin(theta) * mscale;
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

void gelu_mul(float* gate, const float* up, int64_t n) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = 0.5f * g * (1.0f + std::tanh(kSqrt2OverPi * g * (1.0f + 0.044715f * g * g))) * up[i];
  }
}

void soft_cap(float* x, int64_t n, float cap) {
  for (int64_t i = 0; i < n; ++i) x[i] = cap * std::tanh(x[i] / cap);
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
