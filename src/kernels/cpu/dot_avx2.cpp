// AVX2 + FMA + F16C dot-product kernels (Zen 3 and later, Haswell and later).
// Integer types multiply unsigned 8-bit weights by signed 8-bit activations
// with vpmaddubsw; every unsigned operand stays below 128 or the pair sums
// are proven below 32767, so the int16 saturation never triggers.
#include <immintrin.h>

#include <cstddef>
#include <cstring>
#include <type_traits>

#include "kernels/cpu/dot_kernels.h"
#include "kernels/repack.h"
#include "quant/blocks.h"

namespace pagoda::kernels::cpu {
namespace {

using quant::BlockQ4_0;
using quant::BlockQ4_K;
using quant::BlockQ6_K;
using quant::BlockQ8_0;

inline float fp16(uint16_t h) {
  return _cvtsh_ss(h);
}

inline int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

// acc + pairs16 * scale16, the int16 products summed in pairs.
inline __m256i add_scaled_pairs(__m256i acc, __m256i pairs16, __m256i scale16) {
  return _mm256_add_epi32(acc, _mm256_madd_epi16(pairs16, scale16));
}

// Sum over pairs of u8*s8 products into eight int32 lanes.
inline __m256i dot_u8_s8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

#include "kernels/cpu/dot_legacy_x86.inc"

// ---- activation quantizers -------------------------------------------------

inline __m256i quantize_32(const float* x, float id) {
  const __m256 mul = _mm256_set1_ps(id);
  const __m256i i0 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x), mul));
  const __m256i i1 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 8), mul));
  const __m256i i2 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 16), mul));
  const __m256i i3 = _mm256_cvtps_epi32(_mm256_mul_ps(_mm256_loadu_ps(x + 24), mul));
  // packs interleave 128-bit lanes; the permute restores element order.
  const __m256i p01 = _mm256_packs_epi32(i0, i1);
  const __m256i p23 = _mm256_packs_epi32(i2, i3);
  const __m256i p = _mm256_packs_epi16(p01, p23);
  return _mm256_permutevar8x32_epi32(p, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

inline float abs_max(const float* x, int n) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  __m256 m = _mm256_setzero_ps();
  for (int i = 0; i < n; i += 8) m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + i)));
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

void quantize_q8(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<ActBlockQ8*>(out);
  const __m256i ones = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < n / 32; ++b) {
    const float amax = abs_max(x + b * 32, 32);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 127.0f / amax : 0.0f;
    const __m256i q = quantize_32(x + b * 32, id);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(blocks[b].qs), q);
    const __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), q);
    blocks[b].d = d;
    blocks[b].qsum = hsum_i32(_mm256_madd_epi16(s16, ones));
  }
}

void quantize_q8k(const float* x, void* out, int64_t n) {
  auto* blocks = static_cast<ActBlockQ8K*>(out);
  for (int64_t b = 0; b < n / 256; ++b) {
    const float* xb = x + b * 256;
    const float amax = abs_max(xb, 256);
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 127.0f / amax : 0.0f;
    for (int c = 0; c < 8; ++c) {
      const __m256i q = quantize_32(xb + 32 * c, id);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(blocks[b].qs + 32 * c), q);
      // Sums of 16: pairs -> int16, then madd with ones over the 8 int16 of each half.
      const __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), q);
      const __m256i s32 = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
      const __m128i lo = _mm256_castsi256_si128(s32), hi = _mm256_extracti128_si256(s32, 1);
      const __m128i lo2 = _mm_hadd_epi32(lo, hi);    // [l0+l1, l2+l3, h0+h1, h2+h3]
      const __m128i tot = _mm_hadd_epi32(lo2, lo2);  // [lo sum, hi sum, ...]
      blocks[b].bsums[2 * c] = static_cast<int16_t>(_mm_cvtsi128_si32(tot));
      blocks[b].bsums[2 * c + 1] = static_cast<int16_t>(_mm_extract_epi32(tot, 1));
    }
    blocks[b].d = d;
  }
}

#include "kernels/cpu/dot_kquants_x86.inc"

// ---- Q2_K and Q3_K x Q8K --------------------------------------------------------
//
// Both keep 2 low bits per element in qs: bits 2t..2t+1 of qs[32h + l] hold
// element 128h + 32t + l, which lies in sub-block 8h + 2t + (l >= 16). So
// one 32-byte load of qs, shifted by 2t, gives the quants of two sub-blocks,
// matching 32 activation bytes; maddubs leaves the first sub-block's pair
// sums in the low 128 bits and the second's in the high 128, and one madd
// with [scale_a x8 | scale_b x8] applies both scales.

inline __m256i pair_scales(int16_t a, int16_t b) {
  return _mm256_setr_m128i(_mm_set1_epi16(a), _mm_set1_epi16(b));
}

// Q2_K: x = d * sc * q - dmin * m, q in 0..3, 4-bit sc and m per sub-block.
template <int N>
void dot_q2_k_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const ActBlockQ8K* a[N];
  for (int j = 0; j < N; ++j)
    a[j] = reinterpret_cast<const ActBlockQ8K*>(static_cast<const uint8_t*>(act) + j * stride);
  __m256 acc[N], acc_min[N];
  for (int j = 0; j < N; ++j) acc[j] = acc_min[j] = _mm256_setzero_ps();
  const __m256i m2 = _mm256_set1_epi8(3);
  for (int64_t i = 0; i < n / 256; ++i) {
    const uint8_t* b = wb + i * sizeof(quant::BlockQ2_K);
    uint16_t dh[2];
    std::memcpy(dh, b + offsetof(quant::BlockQ2_K, d), 4);
    const float d = fp16(dh[0]), dmin = fp16(dh[1]);
    const uint8_t* sc = b + offsetof(quant::BlockQ2_K, scales);
    alignas(32) int16_t mins[16];
    for (int k = 0; k < 16; ++k) mins[k] = static_cast<int16_t>(sc[k] >> 4);
    const __m256i mins16 = _mm256_load_si256(reinterpret_cast<const __m256i*>(mins));
    __m256i q[8], scale[8];
    for (int h = 0; h < 2; ++h) {
      const __m256i bits = load256(b + offsetof(quant::BlockQ2_K, qs) + 32 * h);
      for (int t = 0; t < 4; ++t) {
        const int g = 4 * h + t;
        q[g] = _mm256_and_si256(_mm256_srli_epi16(bits, 2 * t), m2);
        scale[g] =
            pair_scales(static_cast<int16_t>(sc[2 * g] & 0x0F), static_cast<int16_t>(sc[2 * g + 1] & 0x0F));
      }
    }
    for (int j = 0; j < N; ++j) {
      const ActBlockQ8K& ab = a[j][i];
      __m256i isum = _mm256_setzero_si256();
      for (int g = 0; g < 8; ++g) {
        isum = _mm256_add_epi32(
            isum, _mm256_madd_epi16(_mm256_maddubs_epi16(q[g], load256(ab.qs + 32 * g)), scale[g]));
      }
      const __m256i msum = _mm256_madd_epi16(load256(ab.bsums), mins16);
      acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(d * ab.d), _mm256_cvtepi32_ps(isum), acc[j]);
      acc_min[j] = _mm256_fmadd_ps(_mm256_set1_ps(dmin * ab.d), _mm256_cvtepi32_ps(msum), acc_min[j]);
    }
  }
  for (int j = 0; j < N; ++j) out[j] = hsum(_mm256_sub_ps(acc[j], acc_min[j]));
}

// Q3_K: x = d * (sc - 32) * (q3 - 4) with q3 = low 2 bits | hbit << 2 in
// 0..7; the high bit of element 32g + l is bit g of hmask[l]. The "- 4"
// becomes 4 * (sc - 32) times the sub-block's activation sum (bsums).
template <int N>
void dot_q3_k_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  const auto* wb = static_cast<const uint8_t*>(w);
  const ActBlockQ8K* a[N];
  for (int j = 0; j < N; ++j)
    a[j] = reinterpret_cast<const ActBlockQ8K*>(static_cast<const uint8_t*>(act) + j * stride);
  __m256 acc[N];
  for (int j = 0; j < N; ++j) acc[j] = _mm256_setzero_ps();
  const __m256i m2 = _mm256_set1_epi8(3), one = _mm256_set1_epi8(1);
  for (int64_t i = 0; i < n / 256; ++i) {
    const uint8_t* b = wb + i * sizeof(quant::BlockQ3_K);
    uint16_t dh;
    std::memcpy(&dh, b + offsetof(quant::BlockQ3_K, d), 2);
    const float d = fp16(dh);
    const uint8_t* packed = b + offsetof(quant::BlockQ3_K, scales);
    alignas(32) int16_t sc[16], sc4[16];
    for (int k = 0; k < 16; ++k) {
      const int low = k < 8 ? (packed[k] & 0x0F) : (packed[k - 8] >> 4);
      const int high = (packed[8 + k % 4] >> (2 * (k / 4))) & 3;
      sc[k] = static_cast<int16_t>((low | (high << 4)) - 32);
      sc4[k] = static_cast<int16_t>(4 * sc[k]);
    }
    const __m256i offsets16 = _mm256_load_si256(reinterpret_cast<const __m256i*>(sc4));
    const __m256i hm = load256(b + offsetof(quant::BlockQ3_K, hmask));
    __m256i q[8], scale[8];
    for (int h = 0; h < 2; ++h) {
      const __m256i bits = load256(b + offsetof(quant::BlockQ3_K, qs) + 32 * h);
      for (int t = 0; t < 4; ++t) {
        const int g = 4 * h + t;
        const __m256i high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, g), one), 2);
        q[g] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(bits, 2 * t), m2), high);
        scale[g] = pair_scales(sc[2 * g], sc[2 * g + 1]);
      }
    }
    for (int j = 0; j < N; ++j) {
      const ActBlockQ8K& ab = a[j][i];
      __m256i isum = _mm256_setzero_si256();
      for (int g = 0; g < 8; ++g) {
        isum = _mm256_add_epi32(
            isum, _mm256_madd_epi16(_mm256_maddubs_epi16(q[g], load256(ab.qs + 32 * g)), scale[g]));
      }
      isum = _mm256_sub_epi32(isum, _mm256_madd_epi16(load256(ab.bsums), offsets16));
      acc[j] = _mm256_fmadd_ps(_mm256_set1_ps(d * ab.d), _mm256_cvtepi32_ps(isum), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) out[j] = hsum(acc[j]);
}

// ---- F16 / F32 x F32 ----------------------------------------------------------

// Float weights: Element is uint16_t (F16, widened with vcvtph2ps), Bf16
// (the top half of an F32: widened by a 16-bit shift) or float.
struct Bf16 {
  uint16_t bits;
};
inline __m256 load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline __m256 load8(const Bf16* p) {
  const __m256i wide = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}
inline __m256 load8(const float* p) {
  return _mm256_loadu_ps(p);
}
inline float scalar(uint16_t h) {
  return fp16(h);
}
inline float scalar(Bf16 h) {
  const uint32_t bits = static_cast<uint32_t>(h.bits) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
inline float scalar(float f) {
  return f;
}

template <typename Element, int N>
void dot_float_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  const auto* wp = static_cast<const Element*>(w);
  const float* a[N];
  for (int j = 0; j < N; ++j)
    a[j] = reinterpret_cast<const float*>(static_cast<const uint8_t*>(act) + j * stride);
  __m256 acc[N];
  for (int j = 0; j < N; ++j) acc[j] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 wv = load8(wp + i);
    for (int j = 0; j < N; ++j) acc[j] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(a[j] + i), acc[j]);
  }
  for (int j = 0; j < N; ++j) {
    float s = hsum(acc[j]);
    for (int64_t k = i; k < n; ++k) s += scalar(wp[k]) * a[j][k];
    out[j] = s;
  }
}

template <int N>
void dot_f16_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  dot_float_n<uint16_t, N>(n, w, act, stride, out);
}

template <int N>
void dot_bf16_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  dot_float_n<Bf16, N>(n, w, act, stride, out);
}

template <int N>
void dot_f32_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  dot_float_n<float, N>(n, w, act, stride, out);
}

const DotKernel kQ4_0 = PAGODA_DOT_KERNEL_PACKED(ActFormat::Q8, dot_q4_0_n, dot8_q4_0_n);
const DotKernel kQ8_0 = PAGODA_DOT_KERNEL_PACKED(ActFormat::Q8, dot_q8_0_n, dot8_q8_0_n);
const DotKernel kQ4_1 = PAGODA_DOT_KERNEL(ActFormat::Q8, dot_q4_1_n);
const DotKernel kQ5_0 = PAGODA_DOT_KERNEL(ActFormat::Q8, dot_q5_0_n);
const DotKernel kQ5_1 = PAGODA_DOT_KERNEL(ActFormat::Q8, dot_q5_1_n);
const DotKernel kQ4_K = PAGODA_DOT_KERNEL_PACKED(ActFormat::Q8K, dot_q4_k_n, dot8_q4_k_n);
const DotKernel kQ5_K = PAGODA_DOT_KERNEL(ActFormat::Q8K, dot_q5_k_n);
const DotKernel kQ2_K = PAGODA_DOT_KERNEL(ActFormat::Q8K, dot_q2_k_n);
const DotKernel kQ3_K = PAGODA_DOT_KERNEL(ActFormat::Q8K, dot_q3_k_n);
const DotKernel kQ6_K = PAGODA_DOT_KERNEL(ActFormat::Q8K, dot_q6_k_n);
const DotKernel kF16 = PAGODA_DOT_KERNEL(ActFormat::F32, dot_f16_n);
const DotKernel kBF16 = PAGODA_DOT_KERNEL(ActFormat::F32, dot_bf16_n);
const DotKernel kF32 = PAGODA_DOT_KERNEL(ActFormat::F32, dot_f32_n);
#undef PAGODA_DOT_KERNEL
#undef PAGODA_DOT_KERNEL_PACKED

const DotKernel* kernel_for(quant::TensorType type) {
  switch (type) {
    case quant::TensorType::Q4_0:
      return &kQ4_0;
    case quant::TensorType::Q8_0:
      return &kQ8_0;
    case quant::TensorType::Q4_1:
      return &kQ4_1;
    case quant::TensorType::Q5_0:
      return &kQ5_0;
    case quant::TensorType::Q5_1:
      return &kQ5_1;
    case quant::TensorType::Q4_K:
      return &kQ4_K;
    case quant::TensorType::Q5_K:
      return &kQ5_K;
    case quant::TensorType::Q2_K:
      return &kQ2_K;
    case quant::TensorType::Q3_K:
      return &kQ3_K;
    case quant::TensorType::Q6_K:
      return &kQ6_K;
    case quant::TensorType::F16:
      return &kF16;
    case quant::TensorType::F32:
      return &kF32;
    case quant::TensorType::BF16:
      return &kBF16;
    default:
      return nullptr;
  }
}

const IsaKernels kAvx2{"avx2", quantize_q8, quantize_q8k, kernel_for};

}  // namespace

const IsaKernels& isa_kernels_avx2() {
  return kAvx2;
}

}  // namespace pagoda::kernels::cpu
