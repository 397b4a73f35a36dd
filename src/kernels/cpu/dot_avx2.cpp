// AVX2 + FMA + F16C dot-product kernels (Zen 3 and later, Haswell and later).
// Integer types multiply unsigned 8-bit weights by signed 8-bit activations
// with vpmaddubsw; every unsigned operand stays below 128 or the pair sums
// are proven below 32767, so the int16 saturation never triggers.
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/dot_kernels.h"
#include "quant/blocks.h"

namespace pagoda::kernels::cpu {
namespace {

using quant::BlockQ4_0;
using quant::BlockQ4_K;
using quant::BlockQ6_K;
using quant::BlockQ8_0;

inline float fp16(uint16_t h) { return _cvtsh_ss(h); }

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline int hsum_i32(__m256i v) {
  __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
  s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm_cvtsi128_si32(s);
}

inline __m256i load256(const void* p) { return _mm256_loadu_si256(static_cast<const __m256i*>(p)); }

// 16 bytes of nibbles -> 32 bytes: low nibbles in bytes 0..15, high in 16..31.
inline __m256i unpack_nibbles(const uint8_t* qs) {
  const __m128i raw = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i mask = _mm_set1_epi8(0x0F);
  const __m128i lo = _mm_and_si128(raw, mask);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(raw, 4), mask);
  return _mm256_set_m128i(hi, lo);
}

// Sum over pairs of u8*s8 products into eight int32 lanes.
inline __m256i dot_u8_s8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// Signed x signed: move the sign of a onto b so that |a| can be the unsigned operand.
inline __m256i dot_s8_s8(__m256i a, __m256i b) {
  return dot_u8_s8(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

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
    blocks[b].sum = d * static_cast<float>(hsum_i32(_mm256_madd_epi16(s16, ones)));
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
      const __m128i lo2 = _mm_hadd_epi32(lo, hi);        // [l0+l1, l2+l3, h0+h1, h2+h3]
      const __m128i tot = _mm_hadd_epi32(lo2, lo2);      // [lo sum, hi sum, ...]
      blocks[b].bsums[2 * c] = static_cast<int16_t>(_mm_cvtsi128_si32(tot));
      blocks[b].bsums[2 * c + 1] = static_cast<int16_t>(_mm_extract_epi32(tot, 1));
    }
    blocks[b].d = d;
  }
}

// ---- Q4_0 x Q8 ---------------------------------------------------------------

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
    const float dw = fp16(dh);
    const __m256i q = unpack_nibbles(blk + 2);  // 0..15: the -8 is folded in through `sum`
    for (int j = 0; j < N; ++j) {
      const __m256i p = dot_u8_s8(q, load256(a[j][i].qs));
      acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(dw * a[j][i].d), acc[j]);
      offset[j] += dw * a[j][i].sum;
    }
  }
  for (int j = 0; j < N; ++j) out[j] = hsum(acc[j]) - 8.0f * offset[j];
}

// ---- Q8_0 x Q8 ---------------------------------------------------------------

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
    const float dw = fp16(dh);
    const __m256i q = load256(blk + 2);
    for (int j = 0; j < N; ++j) {
      const __m256i p = dot_s8_s8(q, load256(a[j][i].qs));
      acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(p), _mm256_set1_ps(dw * a[j][i].d), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) out[j] = hsum(acc[j]);
}

// ---- Q4_K x Q8K --------------------------------------------------------------

// The 6-bit scales and mins of Q4_K/Q5_K's 8 sub-blocks.
inline void unpack_scales_k4(const uint8_t* s, uint8_t* sc, uint8_t* m) {
  for (int j = 0; j < 4; ++j) {
    sc[j] = s[j] & 63;
    m[j] = s[j + 4] & 63;
  }
  for (int j = 4; j < 8; ++j) {
    sc[j] = (s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4);
    m[j] = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
  }
}

template <int N>
void dot_q4_k_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  const auto* wb = static_cast<const BlockQ4_K*>(w);
  const ActBlockQ8K* a[N];
  for (int j = 0; j < N; ++j) a[j] = reinterpret_cast<const ActBlockQ8K*>(static_cast<const uint8_t*>(act) + j * stride);
  float sum[N] = {};
  const __m256i mask = _mm256_set1_epi8(0x0F);
  for (int64_t i = 0; i < n / 256; ++i) {
    BlockQ4_K b;
    std::memcpy(&b, wb + i, sizeof b);
    uint8_t sc[8], mn[8];
    unpack_scales_k4(b.scales, sc, mn);
    const float d = fp16(b.d), dmin = fp16(b.dmin);
    __m256i q_lo[4], q_hi[4];
    for (int k = 0; k < 4; ++k) {
      const __m256i q = load256(b.qs + 32 * k);
      q_lo[k] = _mm256_and_si256(q, mask);
      q_hi[k] = _mm256_and_si256(_mm256_srli_epi16(q, 4), mask);
    }
    for (int j = 0; j < N; ++j) {
      const ActBlockQ8K& ab = a[j][i];
      __m256i isum = _mm256_setzero_si256();
      for (int k = 0; k < 4; ++k) {
        // maddubs pair sums are at most 2*15*128; times a 6-bit scale in madd.
        const __m256i p_lo = _mm256_maddubs_epi16(q_lo[k], load256(ab.qs + 64 * k));
        const __m256i p_hi = _mm256_maddubs_epi16(q_hi[k], load256(ab.qs + 64 * k + 32));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p_lo, _mm256_set1_epi16(sc[2 * k])));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p_hi, _mm256_set1_epi16(sc[2 * k + 1])));
      }
      int mins = 0;
      for (int s = 0; s < 8; ++s) mins += mn[s] * (ab.bsums[2 * s] + ab.bsums[2 * s + 1]);
      sum[j] += ab.d * (d * static_cast<float>(hsum_i32(isum)) - dmin * static_cast<float>(mins));
    }
  }
  for (int j = 0; j < N; ++j) out[j] = sum[j];
}

// ---- Q6_K x Q8K --------------------------------------------------------------

template <int N>
void dot_q6_k_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  const auto* wb = static_cast<const BlockQ6_K*>(w);
  const ActBlockQ8K* a[N];
  for (int j = 0; j < N; ++j) a[j] = reinterpret_cast<const ActBlockQ8K*>(static_cast<const uint8_t*>(act) + j * stride);
  float sum[N] = {};
  const __m256i m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(3);
  for (int64_t i = 0; i < n / 256; ++i) {
    const BlockQ6_K& b = wb[i];
    uint16_t dh;
    std::memcpy(&dh, &b.d, 2);
    const float d = fp16(dh);
    // q[4*half + r]: 32 unsigned 6-bit values (0..63) of elements 128*half + 32*r + l.
    __m256i q[8];
    for (int half = 0; half < 2; ++half) {
      const __m256i ql0 = load256(b.ql + 64 * half), ql1 = load256(b.ql + 64 * half + 32);
      const __m256i qh = load256(b.qh + 32 * half);
      q[4 * half + 0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), _mm256_slli_epi16(_mm256_and_si256(qh, m2), 4));
      q[4 * half + 1] = _mm256_or_si256(_mm256_and_si256(ql1, m4),
                                        _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2), m2), 4));
      q[4 * half + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                                        _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 4), m2), 4));
      q[4 * half + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                                        _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 6), m2), 4));
    }
    __m256i scale[8];  // per 32 elements: 8 int16 lanes of one 16-group scale, then 8 of the next
    for (int c = 0; c < 8; ++c) {
      scale[c] = _mm256_set_m128i(_mm_set1_epi16(b.scales[2 * c + 1]), _mm_set1_epi16(b.scales[2 * c]));
    }
    for (int j = 0; j < N; ++j) {
      const ActBlockQ8K& ab = a[j][i];
      __m256i isum = _mm256_setzero_si256();
      for (int c = 0; c < 8; ++c) {
        // pair sums <= 2*63*128 = 16128: no saturation.
        const __m256i p = _mm256_maddubs_epi16(q[c], load256(ab.qs + 32 * c));
        isum = _mm256_add_epi32(isum, _mm256_madd_epi16(p, scale[c]));
      }
      int offset = 0;  // the -32 of every weight: 32 * sum over groups of scale * bsum
      for (int g = 0; g < 16; ++g) offset += b.scales[g] * ab.bsums[g];
      sum[j] += ab.d * d * static_cast<float>(hsum_i32(isum) - 32 * offset);
    }
  }
  for (int j = 0; j < N; ++j) out[j] = sum[j];
}

// ---- F16 / F32 x F32 ----------------------------------------------------------

template <int N>
void dot_f16_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  const auto* wh = static_cast<const uint16_t*>(w);
  const float* a[N];
  for (int j = 0; j < N; ++j) a[j] = reinterpret_cast<const float*>(static_cast<const uint8_t*>(act) + j * stride);
  __m256 acc[N];
  for (int j = 0; j < N; ++j) acc[j] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 wv = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(wh + i)));
    for (int j = 0; j < N; ++j) acc[j] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(a[j] + i), acc[j]);
  }
  for (int j = 0; j < N; ++j) {
    float s = hsum(acc[j]);
    for (int64_t k = i; k < n; ++k) s += fp16(wh[k]) * a[j][k];
    out[j] = s;
  }
}

template <int N>
void dot_f32_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  const auto* wf = static_cast<const float*>(w);
  const float* a[N];
  for (int j = 0; j < N; ++j) a[j] = reinterpret_cast<const float*>(static_cast<const uint8_t*>(act) + j * stride);
  __m256 acc[N];
  for (int j = 0; j < N; ++j) acc[j] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 wv = _mm256_loadu_ps(wf + i);
    for (int j = 0; j < N; ++j) acc[j] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(a[j] + i), acc[j]);
  }
  for (int j = 0; j < N; ++j) {
    float s = hsum(acc[j]);
    for (int64_t k = i; k < n; ++k) s += wf[k] * a[j][k];
    out[j] = s;
  }
}

using DotN = void (*)(int64_t, const void*, const void*, size_t, float*);

// Picks the variant unrolled for the column count.
template <DotN K1, DotN K2, DotN K3, DotN K4>
void dispatch_columns(int64_t n, const void* w, const void* act, size_t stride, int n_act, float* out) {
  switch (n_act) {
    case 1: K1(n, w, act, stride, out); break;
    case 2: K2(n, w, act, stride, out); break;
    case 3: K3(n, w, act, stride, out); break;
    default: K4(n, w, act, stride, out); break;
  }
}

#define PAGODA_DOT_KERNEL(format, fn) DotKernel{format, dispatch_columns<fn<1>, fn<2>, fn<3>, fn<4>>}
const DotKernel kQ4_0 = PAGODA_DOT_KERNEL(ActFormat::Q8, dot_q4_0_n);
const DotKernel kQ8_0 = PAGODA_DOT_KERNEL(ActFormat::Q8, dot_q8_0_n);
const DotKernel kQ4_K = PAGODA_DOT_KERNEL(ActFormat::Q8K, dot_q4_k_n);
const DotKernel kQ6_K = PAGODA_DOT_KERNEL(ActFormat::Q8K, dot_q6_k_n);
const DotKernel kF16 = PAGODA_DOT_KERNEL(ActFormat::F32, dot_f16_n);
const DotKernel kF32 = PAGODA_DOT_KERNEL(ActFormat::F32, dot_f32_n);
#undef PAGODA_DOT_KERNEL

const DotKernel* kernel_for(quant::TensorType type) {
  switch (type) {
    case quant::TensorType::Q4_0: return &kQ4_0;
    case quant::TensorType::Q8_0: return &kQ8_0;
    case quant::TensorType::Q4_K: return &kQ4_K;
    case quant::TensorType::Q6_K: return &kQ6_K;
    case quant::TensorType::F16: return &kF16;
    case quant::TensorType::F32: return &kF32;
    default: return nullptr;
  }
}

const IsaKernels kAvx2{"avx2", quantize_q8, quantize_q8k, kernel_for};

}  // namespace

const IsaKernels& isa_kernels_avx2() { return kAvx2; }

}  // namespace pagoda::kernels::cpu
