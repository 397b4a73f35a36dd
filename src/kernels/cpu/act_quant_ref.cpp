// Scalar activation quantizers. Rounding is to nearest-even (nearbyint),
// the same as the SIMD conversions, so every path produces identical blocks.
#include <cmath>

#include "kernels/cpu/dot_kernels.h"

namespace pagoda::kernels::cpu {

size_t act_row_bytes(ActFormat format, int64_t n) {
  switch (format) {
    case ActFormat::F32: return static_cast<size_t>(n) * sizeof(float);
    case ActFormat::Q8: return static_cast<size_t>(n / 32) * sizeof(ActBlockQ8);
    case ActFormat::Q8K: return static_cast<size_t>(n / 256) * sizeof(ActBlockQ8K);
  }
  return 0;
}

namespace {

// The scale of a block: x ~= d * q with |q| <= 127. Returns 1/d (0 for an
// all-zero block) as 127/amax, the same expression the SIMD quantizers use.
float block_scale(const float* x, int n, float* d) {
  float amax = 0.0f;
  for (int i = 0; i < n; ++i) amax = std::fmax(amax, std::fabs(x[i]));
  *d = amax / 127.0f;
  return *d != 0.0f ? 127.0f / amax : 0.0f;
}

// q[i] = round(x[i] * id) for i < n; returns the sum of the q.
int quantize_group(const float* x, int n, float id, int8_t* q) {
  int sum = 0;
  for (int i = 0; i < n; ++i) {
    const int v = static_cast<int>(std::nearbyint(x[i] * id));
    q[i] = static_cast<int8_t>(v);
    sum += v;
  }
  return sum;
}

}  // namespace

void quantize_act_q8_ref(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<ActBlockQ8*>(out);
  for (int64_t b = 0; b < n / 32; ++b) {
    const float* xb = x + b * 32;
    float d;
    const float id = block_scale(xb, 32, &d);
    blocks[b].d = d;
    blocks[b].qsum = quantize_group(xb, 32, id, blocks[b].qs);
  }
}

void quantize_act_q8k_ref(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<ActBlockQ8K*>(out);
  for (int64_t b = 0; b < n / 256; ++b) {
    const float* xb = x + b * 256;
    float d;
    const float id = block_scale(xb, 256, &d);
    for (int g = 0; g < 16; ++g) {
      blocks[b].bsums[g] = static_cast<int16_t>(quantize_group(xb + g * 16, 16, id, blocks[b].qs + g * 16));
    }
    blocks[b].d = d;
  }
}

}  // namespace pagoda::kernels::cpu
