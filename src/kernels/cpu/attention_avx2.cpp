// AVX2+FMA paged attention for one query token and one kv head. Keys and
// values go in chunks of up to kChunk rows (a block, or part of one): the
// chunk's key/value head slices are converted to F32 once (F16 with F16C,
// Q8_0 by blocks) and then serve every query head of the group; each head's
// scores sit in a small stack buffer, then one rescale of its running output
// per chunk.
#include <immintrin.h>

#include <math.h>  // expf: a libm call, not an inline C++ wrapper compiled with AVX2 flags
#include <cstdint>
#include <cstring>

#include "kernels/attention.h"
#include "quant/blocks.h"

namespace pagoda::kernels::cpu {
namespace {

constexpr int kChunk = 32;

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

inline float half_to_float(uint16_t h) { return _mm_cvtss_f32(_mm_cvtph_ps(_mm_cvtsi32_si128(h))); }

// Head slice [elem0, elem0 + hd) of `rows` consecutive stored rows as F32:
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

}  // namespace

bool attend_paged_avx2(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape, int kv_head,
                       float* out) {
  const int hd = shape.head_dim;
  if (hd % 8 != 0 || hd > kMaxHeadDim) return false;
  const int group = shape.n_head / shape.n_head_kv;
  const int64_t elem0 = static_cast<int64_t>(kv_head) * hd;
  alignas(32) float acc[kMaxHeadsPerKvHead][kMaxHeadDim];
  float m[kMaxHeadsPerKvHead], l[kMaxHeadsPerKvHead];
  alignas(32) float ktile[kChunk * kMaxHeadDim], vtile[kChunk * kMaxHeadDim];
  float scores[kChunk];
  for (int g = 0; g < group; ++g) {
    m[g] = -INFINITY;
    l[g] = 0.0f;
    for (int d = 0; d < hd; d += 8) _mm256_store_ps(acc[g] + d, _mm256_setzero_ps());
  }
  for (int64_t p0 = 0; p0 < n_kv;) {
    // A chunk never crosses a block boundary: its rows are consecutive slots.
    const int64_t blk = p0 / kv.block_size, off = p0 % kv.block_size;
    int64_t rows64 = kv.block_size - off;
    if (rows64 > kChunk) rows64 = kChunk;
    if (rows64 > n_kv - p0) rows64 = n_kv - p0;
    const int rows = static_cast<int>(rows64);
    const size_t slot0 = static_cast<size_t>(kv.block_table[static_cast<size_t>(blk)]) * static_cast<size_t>(kv.block_size) +
                         static_cast<size_t>(off);
    int64_t ks = 0, vs = 0;
    const float* kt = load_tile(kv, kv.keys + slot0 * kv.row_bytes, rows, elem0, hd, ktile, &ks);
    const float* vt = load_tile(kv, kv.values + slot0 * kv.row_bytes, rows, elem0, hd, vtile, &vs);
    for (int g = 0; g < group; ++g) {
      const float* qh = q + static_cast<int64_t>(kv_head * group + g) * hd;
      float chunk_max = -INFINITY;
      for (int r = 0; r < rows; ++r) {
        scores[r] = dot(qh, kt + r * ks, hd) * shape.scale;
        chunk_max = scores[r] > chunk_max ? scores[r] : chunk_max;
      }
      if (chunk_max > m[g]) {
        const float correction = expf(m[g] - chunk_max);  // 0 on the first chunk
        l[g] *= correction;
        const __m256 corr = _mm256_set1_ps(correction);
        for (int d = 0; d < hd; d += 8) _mm256_store_ps(acc[g] + d, _mm256_mul_ps(_mm256_load_ps(acc[g] + d), corr));
        m[g] = chunk_max;
      }
      for (int r = 0; r < rows; ++r) {
        const float w = expf(scores[r] - m[g]);
        l[g] += w;
        const __m256 wv = _mm256_set1_ps(w);
        const float* v = vt + r * vs;
        for (int d = 0; d < hd; d += 8) {
          _mm256_store_ps(acc[g] + d, _mm256_fmadd_ps(wv, _mm256_loadu_ps(v + d), _mm256_load_ps(acc[g] + d)));
        }
      }
    }
    p0 += rows;
  }
  for (int g = 0; g < group; ++g) {
    const __m256 inv = _mm256_set1_ps(l[g] > 0.0f ? 1.0f / l[g] : 0.0f);
    float* o = out + static_cast<int64_t>(kv_head * group + g) * hd;
    for (int d = 0; d < hd; d += 8) _mm256_storeu_ps(o + d, _mm256_mul_ps(_mm256_load_ps(acc[g] + d), inv));
  }
  return true;
}

}  // namespace pagoda::kernels::cpu
