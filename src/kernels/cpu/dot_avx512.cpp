// AVX-512 VNNI kernels (Zen 4, Ice Lake and later). The one-group (dot8)
// kernels use 256-bit vectors, where vpdpbusd replaces AVX2's
// two-instruction multiply-add; the two-group (dot16) kernels put 16 weight
// rows in one 512-bit register, which halves the instructions per product
// (on Zen 5, which runs 512-bit vpdpbusd at full rate, it doubles the
// throughput; on Zen 4 it still halves loads, broadcasts and float work).
// Types without a kernel here fall back to the AVX2 table.
// GCC 12 reports the deliberately undefined pass-through operand inside
// several AVX-512 intrinsics (_mm512_cvtph_ps, _mm512_inserti64x4,
// _mm512_unpacklo_epi32, ...) as (maybe-)uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/dot_kernels.h"
#include "kernels/repack.h"
#include "quant/blocks.h"

namespace pagoda::kernels::cpu {
namespace {

// VNNI: one instruction for the u8 x s8 products and their sums of four.
inline __m256i dot_u8_s8(__m256i u, __m256i s) {
  return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s);
}

#include "kernels/cpu/dot_legacy_x86.inc"

inline float fp16(uint16_t h) {
  return _cvtsh_ss(h);
}

// VNNI: the scale multiply and the accumulate in one vpdpwssd.
inline __m256i add_scaled_pairs(__m256i acc, __m256i pairs16, __m256i scale16) {
  return _mm256_dpwssd_epi32(acc, pairs16, scale16);
}

#include "kernels/cpu/dot_kquants_x86.inc"

// Two consecutive packed groups (kernels/repack.h) side by side: lane r < 8
// is row r of the first group, lane 8 + r row r of the second. Groups are
// (n / 32) group-blocks apart.
inline __m512i load_group_pair(const uint8_t* first, const uint8_t* second) {
  return _mm512_inserti64x4(_mm512_castsi256_si512(load256(first)), load256(second), 1);
}

inline __m512 scales_group_pair(const uint8_t* first, const uint8_t* second) {
  const __m256i h = _mm256_inserti128_si256(
      _mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(first))),
      _mm_loadu_si128(reinterpret_cast<const __m128i*>(second)), 1);
  return _mm512_cvtph_ps(h);
}

// On the first pass over two groups (the weights come from memory) the
// hardware prefetcher falls behind the two weight streams: fetching 16
// group-blocks ahead measured +20% at 16 tokens (TinyLlama shape, 2
// threads). Later passes find the weights in cache, where the extra
// instructions only cost.
inline void prefetch_ahead(const uint8_t* first, const uint8_t* second, size_t group_block) {
  constexpr size_t kAhead = 16;
  for (size_t line = 0; line < group_block; line += 64) {
    _mm_prefetch(reinterpret_cast<const char*>(first + kAhead * group_block + line), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(second + kAhead * group_block + line), _MM_HINT_T0);
  }
}

// 4 activation bytes in every 32-bit lane (a load with broadcast).
inline __m512i broadcast4_512(const int8_t* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// Q4_0, 16 rows x N activation rows; out is [N][16]. The same integer sums
// and the same float operations in the same order as dot8_q4_0_n, so a row's
// result does not depend on which kernel (or batch size) produced it.
template <int N, bool kPrefetch>
void dot16_q4_0_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  constexpr size_t kGroupBlock = 8 * sizeof(quant::BlockQ4_0);
  const auto* g = static_cast<const uint8_t*>(w);
  const size_t second = static_cast<size_t>(n / 32) * kGroupBlock;
  __m512 acc[N];
  for (int j = 0; j < N; ++j) acc[j] = _mm512_setzero_ps();
  const __m512i mask = _mm512_set1_epi8(0x0F);
  for (int64_t i = 0; i < n / 32; ++i) {
    const uint8_t* b0 = g + static_cast<size_t>(i) * kGroupBlock;
    const uint8_t* b1 = b0 + second;
    if constexpr (kPrefetch) prefetch_ahead(b0, b1, kGroupBlock);
    const __m512 d16 = scales_group_pair(b0, b1);
    __m512i lo[4], hi[4];
    for (int v = 0; v < 4; ++v) {
      const __m512i q = load_group_pair(b0 + 16 + 32 * v, b1 + 16 + 32 * v);
      lo[v] = _mm512_and_si512(q, mask);
      hi[v] = _mm512_and_si512(_mm512_srli_epi16(q, 4), mask);
    }
    // One running pointer down the activation rows, not one per row: with
    // 16 rows those would not fit the general registers.
    const uint8_t* xj = static_cast<const uint8_t*>(act) + static_cast<size_t>(i) * sizeof(ActBlockQ8);
#pragma GCC unroll 16  // keeps every accumulator in a register
    for (int j = 0; j < N; ++j, xj += stride) {
      const ActBlockQ8& x = *reinterpret_cast<const ActBlockQ8*>(xj);
      // Two chains of four: half the latency of one chain of eight. The -8
      // offset enters the first as -8 * sum(a), exactly as in dot8_q4_0_n.
      __m512i s0 = _mm512_dpbusd_epi32(_mm512_set1_epi32(-8 * x.qsum), lo[0], broadcast4_512(x.qs));
      __m512i s1 = _mm512_dpbusd_epi32(_mm512_setzero_si512(), hi[0], broadcast4_512(x.qs + 16));
      for (int v = 1; v < 4; ++v) {
        s0 = _mm512_dpbusd_epi32(s0, lo[v], broadcast4_512(x.qs + 4 * v));
        s1 = _mm512_dpbusd_epi32(s1, hi[v], broadcast4_512(x.qs + 16 + 4 * v));
      }
      const __m512i isum = _mm512_add_epi32(s0, s1);
      acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(d16, _mm512_set1_ps(x.d)), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm512_storeu_ps(out + 16 * j, acc[j]);
}

// Q8_0 with VNNI: the signed weights plus 128 are the unsigned operand
// (one xor per weight load, shared by all tokens), and the bias comes back
// out of the integer sum, which starts at -128 sum(a): sum((q + 128) a) =
// sum(q a) + 128 sum(a). The 8-row (decode) and 16-row kernels do the same integer and
// float operations in the same order, so a row's result does not depend on
// the batch size; both replace AVX2's per-token sign flips.
template <int N>
void dot8_q8_0_vnni_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  constexpr size_t kGroupBlock = 8 * sizeof(quant::BlockQ8_0);
  const auto* g = static_cast<const uint8_t*>(w);
  const ActRowsQ8<N> a(act, stride);
  __m256 acc[N];
  for (int j = 0; j < N; ++j) acc[j] = _mm256_setzero_ps();
  const __m256i bias = _mm256_set1_epi8(static_cast<char>(0x80));
  for (int64_t i = 0; i < n / 32; ++i) {
    const uint8_t* b = g + static_cast<size_t>(i) * kGroupBlock;
    const __m256 d8 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b)));
    __m256i u[8];
    for (int v = 0; v < 8; ++v) u[v] = _mm256_xor_si256(load256(b + 16 + 32 * v), bias);
    for (int j = 0; j < N; ++j) {
      const ActBlockQ8& x = a.row[j][i];
      __m256i s0 = _mm256_set1_epi32(-128 * x.qsum), s1 = _mm256_setzero_si256();
      for (int v = 0; v < 8; v += 2) {
        s0 = _mm256_dpbusd_epi32(s0, u[v], broadcast4(x.qs + 4 * v));
        s1 = _mm256_dpbusd_epi32(s1, u[v + 1], broadcast4(x.qs + 4 * v + 4));
      }
      const __m256i isum = _mm256_add_epi32(s0, s1);
      acc[j] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(d8, _mm256_set1_ps(x.d)), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm256_storeu_ps(out + 8 * j, acc[j]);
}

template <int N, bool kPrefetch>
void dot16_q8_0_n(int64_t n, const void* w, const void* act, size_t stride, float* out) {
  constexpr size_t kGroupBlock = 8 * sizeof(quant::BlockQ8_0);
  const auto* g = static_cast<const uint8_t*>(w);
  const size_t second = static_cast<size_t>(n / 32) * kGroupBlock;
  const ActRowsQ8<N> a(act, stride);
  __m512 acc[N];
  for (int j = 0; j < N; ++j) acc[j] = _mm512_setzero_ps();
  const __m512i bias = _mm512_set1_epi8(static_cast<char>(0x80));
  for (int64_t i = 0; i < n / 32; ++i) {
    const uint8_t* b0 = g + static_cast<size_t>(i) * kGroupBlock;
    const uint8_t* b1 = b0 + second;
    if constexpr (kPrefetch) prefetch_ahead(b0, b1, kGroupBlock);
    const __m512 d16 = scales_group_pair(b0, b1);
    __m512i u[8];
    for (int v = 0; v < 8; ++v)
      u[v] = _mm512_xor_si512(load_group_pair(b0 + 16 + 32 * v, b1 + 16 + 32 * v), bias);
    #pragma GCC unroll 16  // keeps every accumulator in a register
    for (int j = 0; j < N; ++j) {
      const ActBlockQ8& x = a.row[j][i];
      __m512i s0 = _mm512_set1_epi32(-128 * x.qsum), s1 = _mm512_setzero_si512();
      for (int v = 0; v < 8; v += 2) {
        s0 = _mm512_dpbusd_epi32(s0, u[v], broadcast4_512(x.qs + 4 * v));
        s1 = _mm512_dpbusd_epi32(s1, u[v + 1], broadcast4_512(x.qs + 4 * v + 4));
      }
      const __m512i isum = _mm512_add_epi32(s0, s1);
      acc[j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_mul_ps(d16, _mm512_set1_ps(x.d)), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm512_storeu_ps(out + 16 * j, acc[j]);
}

// The variant unrolled for the column count (1..kMaxPairColumns).
template <DotN... K>
void dispatch_pair_columns(int64_t n, const void* w, const void* act, size_t stride, int n_act, float* out) {
  static constexpr DotN kByColumns[] = {K...};
  static_assert(sizeof...(K) == kMaxPairColumns);
  kByColumns[n_act - 1](n, w, act, stride, out);
}

#define PAGODA_DOT16(fn, p)                                                                                    \
  dispatch_pair_columns<fn<1, p>, fn<2, p>, fn<3, p>, fn<4, p>, fn<5, p>, fn<6, p>, fn<7, p>, fn<8, p>, fn<9, p>, \
                        fn<10, p>, fn<11, p>, fn<12, p>, fn<13, p>, fn<14, p>, fn<15, p>, fn<16, p>>

DotKernel with_dot16(DotKernel k, DotFn dot16, DotFn dot16_first) {
  k.dot16 = dot16;
  k.dot16_first = dot16_first;
  return k;
}

const DotKernel kQ4_0 = with_dot16(PAGODA_DOT_KERNEL_PACKED(ActFormat::Q8, dot_q4_0_n, dot8_q4_0_n),
                                   PAGODA_DOT16(dot16_q4_0_n, false), PAGODA_DOT16(dot16_q4_0_n, true));
const DotKernel kQ8_0 = with_dot16(PAGODA_DOT_KERNEL_PACKED(ActFormat::Q8, dot_q8_0_n, dot8_q8_0_vnni_n),
                                   PAGODA_DOT16(dot16_q8_0_n, false), PAGODA_DOT16(dot16_q8_0_n, true));
const DotKernel kQ4_1 = PAGODA_DOT_KERNEL(ActFormat::Q8, dot_q4_1_n);
const DotKernel kQ5_0 = PAGODA_DOT_KERNEL(ActFormat::Q8, dot_q5_0_n);
const DotKernel kQ5_1 = PAGODA_DOT_KERNEL(ActFormat::Q8, dot_q5_1_n);

// The K-quants: VNNI dot kernels for few tokens plus the panel GEMM.
DotKernel with_panel16(DotKernel k, quant::TensorType type) {
  k.panel16 = panel16_avx512(type);
  return k;
}

const DotKernel kQ4_K = with_panel16(PAGODA_DOT_KERNEL_PACKED(ActFormat::Q8K, dot_q4_k_n, dot8_q4_k_n), quant::TensorType::Q4_K);
const DotKernel kQ5_K = with_panel16(PAGODA_DOT_KERNEL(ActFormat::Q8K, dot_q5_k_n), quant::TensorType::Q5_K);
const DotKernel kQ6_K = with_panel16(PAGODA_DOT_KERNEL(ActFormat::Q8K, dot_q6_k_n), quant::TensorType::Q6_K);
#undef PAGODA_DOT_KERNEL
#undef PAGODA_DOT_KERNEL_PACKED
#undef PAGODA_DOT16

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
    case quant::TensorType::Q6_K:
      return &kQ6_K;
    default:
      return nullptr;
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
