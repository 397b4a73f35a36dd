// AVX-512 VNNI kernels (Zen 4, Ice Lake and later). 256-bit vectors: Zen 4
// splits 512-bit operations in two, and GEMV gains nothing from them, while
// vpdpbusd replaces AVX2's two-instruction multiply-add. Types without a
// kernel here fall back to the AVX2 table.
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/dot_kernels.h"
#include "quant/blocks.h"

namespace pagoda::kernels::cpu {
namespace {

using quant::BlockQ4_0;
using quant::BlockQ8_0;

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i mask = _mm_set1_epi8(0x0F);
  return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(raw, 4), mask), _mm_and_si128(raw, mask));
}

template <int N>
void dot_q4_0_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const ActBlockQ8* a[N];
  for (int j = 0; j < N; ++j) a[j] = reinterpret_cast<const ActBlockQ8*>(static_cast<const uint8_t*>(act) + j * stride);
  __m256 acc[N];
  float offset[N];
  for (int j = 0; j < N; ++j) {
    acc[j] = _mm256_setzero_ps();
    offset[j] = 0.0f;
  }
  for (int64_t i = 0; i < n / 32; ++i) {
    const uint8_t* blk = wb + i * sizeof(BlockQ4_0);
    uint16_t dh;
    std::memcpy(&dh, blk, 2);
    const float dw = _cvtsh_ss(dh);
    const __m256i q = unpack_nibbles(blk + 2);
    for (int j = 0; j < N; ++j) {
      const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q, load256(a[j][i].qs));
      acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(dw * a[j][i].d), acc[j]);
      offset[j] += dw * a[j][i].sum;
    }
  }
  for (int j = 0; j < N; ++j) out[j] = hsum(acc[j]) - 8.0f * offset[j];
}

template <int N>
void dot_q8_0_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const ActBlockQ8* a[N];
  for (int j = 0; j < N; ++j) a[j] = reinterpret_cast<const ActBlockQ8*>(static_cast<const uint8_t*>(act) + j * stride);
  __m256 acc[N];
  for (int j = 0; j < N; ++j) acc[j] = _mm256_setzero_ps();
  for (int64_t i = 0; i < n / 32; ++i) {
    const uint8_t* blk = wb + i * sizeof(BlockQ8_0);
    uint16_t dh;
    std::memcpy(&dh, blk, 2);
    const float dw = _cvtsh_ss(dh);
    const __m256i q = load256(blk + 2);
    const __m256i q_abs = _mm256_abs_epi8(q);
    for (int j = 0; j < N; ++j) {
      // |w| * (a with w's sign): vpdpbusd needs one unsigned operand.
      const __m256i p = _mm256_dpbusd_epi32(_mm256_setzero_si256(), q_abs, _mm256_sign_epi8(load256(a[j][i].qs), q));
      acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(dw * a[j][i].d), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) out[j] = hsum(acc[j]);
}

using DotN = void (*)(int64_t, const void*, const void*, size_t, float*);

template <DotN K1, DotN K2, DotN K3, DotN K4>
void dispatch_columns(int64_t n, const void* w, const void* act, size_t stride, int n_act, float* out) {
  switch (n_act) {
    case 1: K1(n, w, act, stride, out); break;
    case 2: K2(n, w, act, stride, out); break;
    case 3: K3(n, w, act, stride, out); break;
    default: K4(n, w, act, stride, out); break;
  }
}

const DotKernel kQ4_0{ActFormat::Q8, dispatch_columns<dot_q4_0_n<1>, dot_q4_0_n<2>, dot_q4_0_n<3>, dot_q4_0_n<4>>};
const DotKernel kQ8_0{ActFormat::Q8, dispatch_columns<dot_q8_0_n<1>, dot_q8_0_n<2>, dot_q8_0_n<3>, dot_q8_0_n<4>>};

const DotKernel* kernel_for(quant::TensorType type) {
  switch (type) {
    case quant::TensorType::Q4_0: return &kQ4_0;
    case quant::TensorType::Q8_0: return &kQ8_0;
    default: return nullptr;
  }
}

}  // namespace

const IsaKernels& isa_kernels_avx512() {
  // Activation quantizers: the AVX2 ones (the format is the same on every path).
  static const IsaKernels kAvx512{"avx512", isa_kernels_avx2().quantize_q8, isa_kernels_avx2().quantize_q8k,
                                  kernel_for};
  return kAvx512;
}

}  // namespace pagoda::kernels::cpu
