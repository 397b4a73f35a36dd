// AVX-512 paged attention for a run of consecutive query tokens of one
// sequence and one or more kv heads: the same
// online softmax over chunks as the AVX2 kernel (attention_avx2.cpp), shaped
// for 16-lane vectors. A chunk is up to 16 cache rows, so one vector holds
// a head's 16 scores:
//  - the chunk's keys are converted to F32 once and transposed to
//    [head_dim][16]; the scores of up to 8 query heads of the group then
//    come from one small product (a broadcast query element times a key
//    column per FMA), with no horizontal sums;
//  - the softmax (max, exponentials, sum) runs on the score vector;
//  - the weighted sum of value rows keeps 64 output dimensions in four
//    registers across the chunk.
// The arithmetic per element matches the reference within float rounding;
// a token's result does not depend on the batch (chunks are its blocks).
// The tokens of a run (a verification step's proposals, a prompt chunk)
// share each chunk's converted keys and values: a run of T tokens converts
// and transposes the cache rows once instead of T times.
// GCC 12 reports the deliberately undefined pass-through operand inside
// several AVX-512 intrinsics as (maybe-)uninitialized (as in dot_avx512.cpp).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>
#include <math.h>  // INFINITY

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/huge_buffer.h"
#include "kernels/attention.h"
#include "kernels/cpu/transpose16_avx512.h"
#include "kernels/ops.h"
#include "quant/blocks.h"

namespace pagoda::kernels::cpu {
namespace {

constexpr int kRows = 16;          // cache rows per chunk: one vector of scores
constexpr int kHeadsPerPass = 8;   // query heads whose scores accumulate together

// e^x, 16 lanes: exp_avx2's range reduction and polynomial (see
// vec_math_avx2.h), so both paths round alike.
inline __m512 exp512(__m512 x) {
  const __mmask16 underflow = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.0f), _CMP_LT_OQ);
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.0f)), _mm512_set1_ps(88.0f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 f = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  f = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), f);
  __m512 p = _mm512_set1_ps(1.0f / 720.0f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
  const __m512i pow2n = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mul_ps(static_cast<__mmask16>(~underflow), p, _mm512_castsi512_ps(pow2n));
}

inline float exp512(float x) {
  return _mm512_cvtss_f32(exp512(_mm512_set1_ps(x)));
}

// Elements [elem0, elem0 + hd) of `rows` stored rows as F32 rows of hd
// (row r at tile + r * hd, tile 64-byte aligned); rows rows..15 are zero.
// hd is a multiple of 16.
void load_rows(const PagedKv& kv, const uint8_t* base, int rows, int64_t elem0, int hd, float* tile) {
  for (int r = 0; r < rows; ++r) {
    const uint8_t* row = base + static_cast<size_t>(r) * kv.row_bytes;
    float* dst = tile + static_cast<int64_t>(r) * hd;
    if (kv.type == quant::TensorType::F32) {
      std::memcpy(dst, reinterpret_cast<const float*>(row) + elem0, static_cast<size_t>(hd) * sizeof(float));
    } else if (kv.type == quant::TensorType::F16) {
      const auto* h = reinterpret_cast<const uint16_t*>(row) + elem0;
      for (int d = 0; d < hd; d += 16) {
        _mm512_store_ps(dst + d, _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(h + d))));
      }
    } else {  // Q8_0: 16 elements at a time lie in one block (elem0 is a multiple of 16)
      const auto* blocks = reinterpret_cast<const quant::BlockQ8_0*>(row);
      for (int d = 0; d < hd; d += 16) {
        const int64_t e = elem0 + d;
        const quant::BlockQ8_0& b = blocks[e / 32];
        const __m512 q = _mm512_cvtepi32_ps(
            _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b.qs + e % 32))));
        _mm512_store_ps(dst + d, _mm512_mul_ps(q, _mm512_set1_ps(_cvtsh_ss(b.d))));
      }
    }
  }
  for (int r = rows; r < kRows; ++r) std::memset(tile + static_cast<int64_t>(r) * hd, 0, static_cast<size_t>(hd) * 4);
}

// kt[d * 16 + r] = rows[r * stride + d] for d < hd.
void transpose_tile(const float* rows, int64_t stride, int hd, float* kt) {
  for (int d0 = 0; d0 < hd; d0 += 16) {
    __m512 in[16], out[16];
    for (int r = 0; r < kRows; ++r) in[r] = _mm512_load_ps(rows + r * stride + d0);
    transpose16(in, out);
    for (int j = 0; j < 16; ++j) _mm512_store_ps(kt + (d0 + j) * kRows, out[j]);
  }
}

// s[h] = scores of query head h (q + h * hd) against the 16 transposed key
// rows kt, for h < kHeads: a compile-time count keeps the accumulators in
// registers (with a run-time one they went through the stack).
template <int kHeads>
void scores(const float* q, const float* kt, int hd, __m512* s) {
  __m512 acc[kHeads];
  for (int h = 0; h < kHeads; ++h) acc[h] = _mm512_setzero_ps();
  for (int d = 0; d < hd; ++d) {
    const __m512 kd = _mm512_load_ps(kt + d * kRows);
    for (int h = 0; h < kHeads; ++h) acc[h] = _mm512_fmadd_ps(_mm512_set1_ps(q[h * hd + d]), kd, acc[h]);
  }
  for (int h = 0; h < kHeads; ++h) s[h] = acc[h];
}

using ScoresFn = void (*)(const float*, const float*, int, __m512*);
constexpr ScoresFn kScoresByHeads[kHeadsPerPass] = {scores<1>, scores<2>, scores<3>, scores<4>,
                                                    scores<5>, scores<6>, scores<7>, scores<8>};

// acc[0..16 * kVectors) = acc * scale + sum_r w[r] * v_r over rows r. Even
// and odd rows go to separate accumulators: one chain per vector was bound
// by the FMA latency.
template <int kVectors>
inline void scale_and_accumulate_n(float* acc, __m512 s, const float* w, const float* v, int64_t stride, int rows) {
  __m512 a[kVectors], b[kVectors];
  for (int k = 0; k < kVectors; ++k) {
    a[k] = _mm512_mul_ps(_mm512_load_ps(acc + 16 * k), s);
    b[k] = _mm512_setzero_ps();
  }
  int r = 0;
  for (; r + 2 <= rows; r += 2) {
    const __m512 w0 = _mm512_set1_ps(w[r]), w1 = _mm512_set1_ps(w[r + 1]);
    const float* v0 = v + r * stride;
    const float* v1 = v0 + stride;
    for (int k = 0; k < kVectors; ++k) {
      a[k] = _mm512_fmadd_ps(w0, _mm512_load_ps(v0 + 16 * k), a[k]);
      b[k] = _mm512_fmadd_ps(w1, _mm512_load_ps(v1 + 16 * k), b[k]);
    }
  }
  if (r < rows) {
    const __m512 w0 = _mm512_set1_ps(w[r]);
    for (int k = 0; k < kVectors; ++k) a[k] = _mm512_fmadd_ps(w0, _mm512_load_ps(v + r * stride + 16 * k), a[k]);
  }
  for (int k = 0; k < kVectors; ++k) _mm512_store_ps(acc + 16 * k, _mm512_add_ps(a[k], b[k]));
}

// acc[0..hd) = acc * scale + sum_r w[r] * v_r, value row r at v + r * stride.
inline void scale_and_accumulate(float* acc, float scale, const float* w, const float* v, int64_t stride, int hd,
                                 int rows) {
  const __m512 s = _mm512_set1_ps(scale);
  int d0 = 0;
  for (; d0 + 64 <= hd; d0 += 64) scale_and_accumulate_n<4>(acc + d0, s, w, v + d0, stride, rows);
  for (; d0 < hd; d0 += 16) scale_and_accumulate_n<1>(acc + d0, s, w, v + d0, stride, rows);
}

}  // namespace

bool attend_paged_avx512(const float* q, int64_t stride, int n_tokens, const PagedKv& kv, int64_t n_kv_first,
                         const AttentionShape& shape, int kv_head, int n_kv_heads, float* out) {
  const int hd = shape.head_dim;
  const int group = shape.n_head / shape.n_head_kv;
  if (hd % 16 != 0 || hd > kMaxHeadDim || n_kv_heads * group > kMaxHeadsPerKvHead) return false;
  // With a window each token's first visible row (and so its chunking) differs.
  if (n_tokens < 1 || n_tokens > kMaxRunTokens || (n_tokens > 1 && shape.window > 0)) return false;
  const int n_q = n_kv_heads * group;  // query heads, local index lh = (kv head - kv_head) * group + g
  const int64_t q_off = static_cast<int64_t>(kv_head) * group * hd;
  alignas(64) float kt[kMaxHeadDim * kRows];
  alignas(64) float p[kRows];
  // The chunk's rows for all the call's kv heads, converted whole: each
  // block's keys (and values) are then read front to back, a stream the
  // hardware prefetcher follows (a slice per head was 16 strided reads).
  // Token t's state (running max, sum, output) for local head lh is at
  // t * n_q + lh.
  const int64_t width = static_cast<int64_t>(n_kv_heads) * hd;
  thread_local HugeBuffer tiles;
  const size_t tile_bytes = static_cast<size_t>(kRows * width) * sizeof(float);
  const size_t acc_bytes = static_cast<size_t>(n_tokens * n_q * hd) * sizeof(float);
  if (tiles.size() < 2 * tile_bytes + acc_bytes) tiles = HugeBuffer(2 * tile_bytes + acc_bytes, /*zero=*/false);
  float* krows = reinterpret_cast<float*>(tiles.data());
  float* vrows = krows + kRows * width;
  float* acc = vrows + kRows * width;
  float m[kMaxRunTokens * kMaxHeadsPerKvHead], l[kMaxRunTokens * kMaxHeadsPerKvHead];
  for (int th = 0; th < n_tokens * n_q; ++th) {
    m[th] = -INFINITY;
    l[th] = 0.0f;
    for (int d = 0; d < hd; d += 16) _mm512_store_ps(acc + th * hd + d, _mm512_setzero_ps());
  }
  const __m512 scale = _mm512_set1_ps(shape.scale);
  const int64_t n_kv_last = n_kv_first + n_tokens - 1;
  for (int64_t p0 = first_visible_position(shape, n_kv_last); p0 < n_kv_last;) {
    size_t slot0 = 0;
    const int rows = paged_chunk(kv, p0, n_kv_last, kRows, &slot0);
    const int64_t elem0 = static_cast<int64_t>(kv_head) * hd;
    load_rows(kv, kv.keys + slot0 * kv.row_bytes, rows, elem0, static_cast<int>(width), krows);
    load_rows(kv, kv.values + slot0 * kv.row_bytes, rows, elem0, static_cast<int>(width), vrows);
    for (int kh = 0; kh < n_kv_heads; ++kh) {
      transpose_tile(krows + kh * hd, width, hd, kt);
      // Token t sees the chunk's first n_kv_first + t - p0 rows: the chunk
      // it would have had alone (chunks end at blocks, or at its n_kv), so
      // each token's arithmetic is the single-token kernel's.
      for (int t = 0; t < n_tokens; ++t) {
        const int seen = static_cast<int>(std::min<int64_t>(rows, n_kv_first + t - p0));
        if (seen <= 0) continue;
        const __mmask16 valid = static_cast<__mmask16>((1u << seen) - 1u);
        const float* qt = q + t * stride + q_off;
        for (int g0 = 0; g0 < group; g0 += kHeadsPerPass) {
          const int heads = std::min(kHeadsPerPass, group - g0);
          const int lh0 = kh * group + g0;
          __m512 s[kHeadsPerPass];
          kScoresByHeads[heads - 1](qt + static_cast<int64_t>(lh0) * hd, kt, hd, s);
          for (int h = 0; h < heads; ++h) {
            const int th = t * n_q + lh0 + h;
            __m512 sv = _mm512_mul_ps(s[h], scale);
            if (shape.softcap > 0.0f) {
              alignas(64) float tmp[kRows];
              _mm512_store_ps(tmp, sv);
              soft_cap(tmp, seen, shape.softcap);
              sv = _mm512_load_ps(tmp);
            }
            sv = _mm512_mask_blend_ps(valid, _mm512_set1_ps(-INFINITY), sv);
            const float chunk_max = std::max(m[th], _mm512_reduce_max_ps(sv));
            const float correction = exp512(m[th] - chunk_max);  // 0 on the first chunk, 1 if the max held
            m[th] = chunk_max;
            const __m512 e = _mm512_maskz_mov_ps(valid, exp512(_mm512_sub_ps(sv, _mm512_set1_ps(chunk_max))));
            _mm512_store_ps(p, e);
            l[th] = l[th] * correction + _mm512_reduce_add_ps(e);
            scale_and_accumulate(acc + th * hd, correction, p, vrows + kh * hd, width, hd, seen);
          }
        }
      }
    }
    p0 += rows;
  }
  for (int t = 0; t < n_tokens; ++t) {
    for (int lh = 0; lh < n_q; ++lh) {
      const int th = t * n_q + lh;
      const __m512 inv = _mm512_set1_ps(l[th] > 0.0f ? 1.0f / l[th] : 0.0f);
      float* o = out + t * stride + q_off + static_cast<int64_t>(lh) * hd;
      for (int d = 0; d < hd; d += 16) _mm512_storeu_ps(o + d, _mm512_mul_ps(_mm512_load_ps(acc + th * hd + d), inv));
    }
  }
  return true;
}

}  // namespace pagoda::kernels::cpu
