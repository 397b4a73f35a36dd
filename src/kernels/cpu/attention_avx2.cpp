// AVX2+FMA paged attention for one query token and one or more kv heads.
// Keys and values go in chunks of up to kChunk rows (a block, or part of
// one): the chunk's key/value slices of all the call's kv heads are
// converted to F32 once (F16 with F16C, Q8_0 by blocks) and then serve every
// query head of their groups; each head's scores sit in a small stack
// buffer, then one rescale of its running output per chunk. Scores come 8
// rows at a time (8 dot products reduced together), the exponentials 8 at a
// time (a polynomial, not libm's scalar expf), and the weighted sum of value
// rows keeps 64 output dimensions in registers across the chunk.
#include <immintrin.h>
#include <math.h>  // INFINITY

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "core/huge_buffer.h"
#include "kernels/attention.h"
#include "kernels/ops.h"
#include "kernels/cpu/vec_math_avx2.h"
#include "quant/blocks.h"

namespace pagoda::kernels::cpu {
namespace {

constexpr int kChunk = 32;

// max(init, x[0..n)), 8 lanes at a time (a scalar loop is one long chain
// of dependent compares).
inline float max_of(const float* x, int n, float init) {
  __m256 m = _mm256_set1_ps(init);
  int i = 0;
  for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, _mm256_loadu_ps(x + i));
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  float out = _mm_cvtss_f32(s);
  for (; i < n; ++i) out = x[i] > out ? x[i] : out;
  return out;
}

inline float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

inline float dot(const float* a, const float* b, int n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), acc1);
  }
  if (i < n) acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc0);
  return hsum(_mm256_add_ps(acc0, acc1));
}

// Lane r = sum of the 8 lanes of v[r]: an 8x8 transpose-and-add.
inline __m256 reduce8(const __m256 v[8]) {
  const __m256 a = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
  const __m256 b = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
  // a: lanes 0-3 = low halves of rows 0-3, lanes 4-7 = their high halves.
  return _mm256_add_ps(_mm256_permute2f128_ps(a, b, 0x20), _mm256_permute2f128_ps(a, b, 0x31));
}

// q . k_r for 8 consecutive key rows, hd a multiple of 8.
inline __m256 dot8_rows(const float* q, const float* k, int64_t stride, int hd) {
  __m256 acc[8];
  for (int r = 0; r < 8; ++r) acc[r] = _mm256_setzero_ps();
  for (int d = 0; d < hd; d += 8) {
    const __m256 qv = _mm256_loadu_ps(q + d);
    for (int r = 0; r < 8; ++r) acc[r] = _mm256_fmadd_ps(qv, _mm256_loadu_ps(k + r * stride + d), acc[r]);
  }
  return reduce8(acc);
}

// acc[0..W) = acc * scale + sum_r w[r] * v_r[0..W), W = 8 * kVectors
// dimensions held in registers (a compile-time count: with a run-time one
// the accumulators went through the stack).
template <int kVectors>
inline void scale_and_accumulate_n(float* acc, __m256 s, const float* w, const float* v, int64_t stride, int rows) {
  __m256 a[kVectors];
  for (int k = 0; k < kVectors; ++k) a[k] = _mm256_mul_ps(_mm256_load_ps(acc + 8 * k), s);
  for (int r = 0; r < rows; ++r) {
    const __m256 wv = _mm256_set1_ps(w[r]);
    const float* vr = v + r * stride;
    for (int k = 0; k < kVectors; ++k) a[k] = _mm256_fmadd_ps(wv, _mm256_loadu_ps(vr + 8 * k), a[k]);
  }
  for (int k = 0; k < kVectors; ++k) _mm256_store_ps(acc + 8 * k, a[k]);
}

// acc[0..hd) = acc * scale + sum_r w[r] * v_r, 64 dimensions at a time in
// registers, then the remaining multiple of 8 one vector at a time.
inline void scale_and_accumulate(float* acc, float scale, const float* w, const float* v, int64_t stride,
                                 int rows, int hd) {
  const __m256 s = _mm256_set1_ps(scale);
  int d0 = 0;
  for (; d0 + 64 <= hd; d0 += 64) scale_and_accumulate_n<8>(acc + d0, s, w, v + d0, stride, rows);
  for (; d0 < hd; d0 += 8) scale_and_accumulate_n<1>(acc + d0, s, w, v + d0, stride, rows);
}

inline float half_to_float(uint16_t h) {
  return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h)));
}

// Elements [elem0, elem0 + hd) of `rows` consecutive stored rows as F32:
// a pointer into the cache for F32, else converted into `tile`. Returns the
// row stride in floats through *stride.
const float* load_tile(const PagedKv& kv, const uint8_t* base, int rows, int64_t elem0, int hd, float* tile,
                       int64_t* stride) {
  if (kv.type == quant::TensorType::F32) {
    *stride = static_cast<int64_t>(kv.row_bytes / sizeof(float));
    return reinterpret_cast<const float*>(base) + elem0;
  }
  *stride = hd;
  for (int r = 0; r < rows; ++r) {
    const uint8_t* row = base + static_cast<size_t>(r) * kv.row_bytes;
    float* dst = tile + static_cast<int64_t>(r) * hd;
    if (kv.type == quant::TensorType::F16) {
      const auto* h = reinterpret_cast<const uint16_t*>(row) + elem0;
      for (int d = 0; d < hd; d += 8) {
        _mm256_storeu_ps(dst + d, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(h + d))));
      }
    } else {  // Q8_0: the head slice starts at a multiple of 8 elements
      const auto* blocks = reinterpret_cast<const quant::BlockQ8_0*>(row);
      for (int d = 0; d < hd; d += 8) {
        const int64_t e = elem0 + d;
        const quant::BlockQ8_0& b = blocks[e / 32];
        int64_t q8;
        std::memcpy(&q8, b.qs + e % 32, 8);
        const __m256 q = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_cvtsi64_si128(q8)));
        _mm256_storeu_ps(dst + d, _mm256_mul_ps(q, _mm256_set1_ps(half_to_float(b.d))));
      }
    }
  }
  return tile;
}

// Byte range [*lo, *hi) of a head slice within a stored row.
void head_slice_bytes(quant::TensorType type, int64_t elem0, int hd, size_t* lo, size_t* hi) {
  switch (type) {
    case quant::TensorType::F32:
      *lo = static_cast<size_t>(elem0) * 4;
      *hi = *lo + static_cast<size_t>(hd) * 4;
      return;
    case quant::TensorType::F16:
      *lo = static_cast<size_t>(elem0) * 2;
      *hi = *lo + static_cast<size_t>(hd) * 2;
      return;
    default:  // Q8_0
      *lo = static_cast<size_t>(elem0 / 32) * sizeof(quant::BlockQ8_0);
      *hi = static_cast<size_t>((elem0 + hd + 31) / 32) * sizeof(quant::BlockQ8_0);
      return;
  }
}

// Asks for the next chunk's key and value slices while this one computes:
// with many sequences in a step the cache holds far more than the caches do,
// and without this each chunk's first touch waited on memory (profiled: the
// tile loads were the larger half of attention in 16-sequence decode).
void prefetch_chunk(const PagedKv& kv, size_t slot0, int rows, size_t lo, size_t hi) {
  for (int r = 0; r < rows; ++r) {
    const size_t row = (slot0 + static_cast<size_t>(r)) * kv.row_bytes;
    for (size_t b = lo; b < hi; b += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(kv.keys + row + b), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(kv.values + row + b), _MM_HINT_T0);
    }
  }
}

}  // namespace

bool attend_paged_avx2(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape,
                       int kv_head, int n_kv_heads, float* out) {
  const int hd = shape.head_dim;
  const int group = shape.n_head / shape.n_head_kv;
  if (hd % 8 != 0 || hd > kMaxHeadDim || n_kv_heads * group > kMaxHeadsPerKvHead) return false;
  const int n_q = n_kv_heads * group;  // query heads, local index lh = (kv head - kv_head) * group + g
  const int64_t elem0 = static_cast<int64_t>(kv_head) * hd;
  const int width = n_kv_heads * hd;  // the call's slice of each row
  alignas(32) float acc[kMaxHeadsPerKvHead][kMaxHeadDim];
  float m[kMaxHeadsPerKvHead], l[kMaxHeadsPerKvHead];
  // The chunk's rows for all the call's kv heads, converted whole: each
  // block's keys (and values) are read front to back.
  thread_local HugeBuffer tiles;
  const size_t tile_bytes = static_cast<size_t>(kChunk) * static_cast<size_t>(width) * sizeof(float);
  if (tiles.size() < 2 * tile_bytes) tiles = HugeBuffer(2 * tile_bytes, /*zero=*/false);
  float* ktile = reinterpret_cast<float*>(tiles.data());
  float* vtile = ktile + static_cast<size_t>(kChunk) * static_cast<size_t>(width);
  float scores[kChunk];
  for (int lh = 0; lh < n_q; ++lh) {
    m[lh] = -INFINITY;
    l[lh] = 0.0f;
    for (int d = 0; d < hd; d += 8) _mm256_store_ps(acc[lh] + d, _mm256_setzero_ps());
  }
  size_t slice_lo = 0, slice_hi = 0;
  head_slice_bytes(kv.type, elem0, hd, &slice_lo, &slice_hi);
  int64_t p0 = first_visible_position(shape, n_kv);
  size_t slot0 = 0;
  int rows = p0 < n_kv ? paged_chunk(kv, p0, n_kv, kChunk, &slot0) : 0;
  for (; p0 < n_kv;) {
    size_t next_slot0 = 0;
    const int next_rows = p0 + rows < n_kv ? paged_chunk(kv, p0 + rows, n_kv, kChunk, &next_slot0) : 0;
    // One kv head per call: its slices are strided, so ask for the next
    // chunk's ahead; several: the rows are read whole, which the hardware
    // prefetcher follows.
    if (n_kv_heads == 1) prefetch_chunk(kv, next_slot0, next_rows, slice_lo, slice_hi);
    int64_t ks = 0, vs = 0;
    const float* kt = load_tile(kv, kv.keys + slot0 * kv.row_bytes, rows, elem0, width, ktile, &ks);
    const float* vt = load_tile(kv, kv.values + slot0 * kv.row_bytes, rows, elem0, width, vtile, &vs);
    for (int lh = 0; lh < n_q; ++lh) {
      const int kh = lh / group;
      const float* kh_t = kt + kh * hd;
      const float* qh = q + (static_cast<int64_t>(kv_head) * group + lh) * hd;
      int r = 0;
      for (; r + 8 <= rows; r += 8) {
        _mm256_storeu_ps(scores + r,
                         _mm256_mul_ps(dot8_rows(qh, kh_t + r * ks, ks, hd), _mm256_set1_ps(shape.scale)));
      }
      for (; r < rows; ++r) scores[r] = dot(qh, kh_t + r * ks, hd) * shape.scale;
      if (shape.softcap > 0.0f) soft_cap(scores, rows, shape.softcap);
      float chunk_max = max_of(scores, rows, m[lh]);
      const float correction = exp_avx2(m[lh] - chunk_max);  // 0 on the first chunk, 1 if the max held
      m[lh] = chunk_max;
      const __m256 mv = _mm256_set1_ps(chunk_max);
      __m256 lsum = _mm256_setzero_ps();
      for (r = 0; r + 8 <= rows; r += 8) {
        const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_loadu_ps(scores + r), mv));
        _mm256_storeu_ps(scores + r, e);
        lsum = _mm256_add_ps(lsum, e);
      }
      float l_chunk = hsum(lsum);
      for (; r < rows; ++r) {
        scores[r] = exp_avx2(scores[r] - chunk_max);
        l_chunk += scores[r];
      }
      l[lh] = l[lh] * correction + l_chunk;
      scale_and_accumulate(acc[lh], correction, scores, vt + kh * hd, vs, rows, hd);
    }
    p0 += rows;
    rows = next_rows;
    slot0 = next_slot0;
  }
  for (int lh = 0; lh < n_q; ++lh) {
    const __m256 inv = _mm256_set1_ps(l[lh] > 0.0f ? 1.0f / l[lh] : 0.0f);
    float* o = out + (static_cast<int64_t>(kv_head) * group + lh) * hd;
    for (int d = 0; d < hd; d += 8) _mm256_storeu_ps(o + d, _mm256_mul_ps(_mm256_load_ps(acc[lh] + d), inv));
  }
  return true;
}

}  // namespace pagoda::kernels::cpu
