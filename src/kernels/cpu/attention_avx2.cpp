// AVX2+FMA attention for one query token: keys go in chunks of kChunk; each
// chunk's scores sit in a small stack buffer, then one rescale of the
// running output per chunk (flash-style: the score row is never whole).
#include <immintrin.h>

#include <math.h>  // expf: a libm call, not an inline C++ wrapper compiled with AVX2 flags
#include <cstdint>

#include "kernels/attention.h"

namespace pagoda::kernels::cpu {
namespace {

constexpr int kChunk = 32;
constexpr int kMaxHeadDim = 256;

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

void attend_head(const float* qh, const float* keys, const float* values, int64_t n_kv, int64_t stride, int hd,
                 float scale, float* out) {
  alignas(32) float acc[kMaxHeadDim];
  for (int d = 0; d < hd; d += 8) _mm256_store_ps(acc + d, _mm256_setzero_ps());
  float m = -INFINITY;
  float l = 0.0f;
  float scores[kChunk];
  for (int64_t p0 = 0; p0 < n_kv; p0 += kChunk) {
    const int c = static_cast<int>(n_kv - p0 < kChunk ? n_kv - p0 : kChunk);
    float chunk_max = -INFINITY;
    for (int p = 0; p < c; ++p) {
      scores[p] = dot(qh, keys + (p0 + p) * stride, hd) * scale;
      chunk_max = scores[p] > chunk_max ? scores[p] : chunk_max;
    }
    if (chunk_max > m) {
      const float correction = expf(m - chunk_max);  // 0 on the first chunk
      l *= correction;
      const __m256 corr = _mm256_set1_ps(correction);
      for (int d = 0; d < hd; d += 8) _mm256_store_ps(acc + d, _mm256_mul_ps(_mm256_load_ps(acc + d), corr));
      m = chunk_max;
    }
    for (int p = 0; p < c; ++p) {
      const float w = expf(scores[p] - m);
      l += w;
      const __m256 wv = _mm256_set1_ps(w);
      const float* v = values + (p0 + p) * stride;
      for (int d = 0; d < hd; d += 8) {
        _mm256_store_ps(acc + d, _mm256_fmadd_ps(wv, _mm256_loadu_ps(v + d), _mm256_load_ps(acc + d)));
      }
    }
  }
  const __m256 inv = _mm256_set1_ps(l > 0.0f ? 1.0f / l : 0.0f);
  for (int d = 0; d < hd; d += 8) _mm256_storeu_ps(out + d, _mm256_mul_ps(_mm256_load_ps(acc + d), inv));
}

}  // namespace

bool attend_avx2(const float* q, const float* keys, const float* values, int64_t n_kv, int64_t kv_row_stride,
                 const AttentionShape& shape, int head_begin, int head_end, float* out) {
  const int hd = shape.head_dim;
  if (hd % 8 != 0 || hd > kMaxHeadDim) return false;
  const int group = shape.n_head / shape.n_head_kv;
  for (int h = head_begin; h < head_end; ++h) {
    const int64_t kv_offset = static_cast<int64_t>(h / group) * hd;
    attend_head(q + static_cast<int64_t>(h) * hd, keys + kv_offset, values + kv_offset, n_kv, kv_row_stride, hd,
                shape.scale, out + static_cast<int64_t>(h) * hd);
  }
  return true;
}

}  // namespace pagoda::kernels::cpu
