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

void quantize_act_q8_ref(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<ActBlockQ8*>(out);
  for (int64_t b = 0; b < n / 32; ++b) {
    const float* xb = x + b * 32;
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::fmax(amax, std::fabs(xb[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 127.0f / amax : 0.0f;
    int sum = 0;
    for (int i = 0; i < 32; ++i) {
      const int q = static_cast<int>(std::nearbyint(xb[i] * id));
      blocks[b].qs[i] = static_cast<int8_t>(q);
      sum += q;
    }
    blocks[b].d = d;
    blocks[b].sum = d * static_cast<float>(sum);
  }
}

void quantize_act_q8k_ref(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<ActBlockQ8K*>(out);
  for (int64_t b = 0; b < n / 256; ++b) {
    const float* xb = x + b * 256;
    float amax = 0.0f;
    for (int i = 0; i < 256; ++i) amax = std::fmax(amax, std::fabs(xb[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 127.0f / amax : 0.0f;
    for (int g = 0; g < 16; ++g) {
      int sum = 0;
      for (int i = 0; i < 16; ++i) {
        const int q = static_cast<int>(std::nearbyint(xb[g * 16 + i] * id));
        blocks[b].qs[g * 16 + i] = static_cast<int8_t>(q);
        sum += q;
      }
      blocks[b].bsums[g] = static_cast<int16_t>(sum);
    }
    blocks[b].d = d;
  }
}

}  // namespace pagoda::kernels::cpu
