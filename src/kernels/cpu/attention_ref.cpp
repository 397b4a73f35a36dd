// Scalar reference of paged attention and the path dispatch.
#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "kernels/attention.h"
#include "kernels/ops.h"
#include "quant/dequantize.h"

namespace pagoda::kernels {
namespace cpu {
// cpu/attention_avx2.cpp and cpu/attention_avx512.cpp: kv heads [kv_head,
// kv_head + n_kv_heads) at once, up to kMaxHeadsPerKvHead query heads;
// false when the shape has no kernel there.
bool attend_paged_avx2(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape, int kv_head,
                       int n_kv_heads, float* out);
// The AVX-512 kernel also takes a run of n_tokens tokens (see attend_paged_run).
bool attend_paged_avx512(const float* q, int64_t stride, int n_tokens, const PagedKv& kv, int64_t n_kv_first,
                         const AttentionShape& shape, int kv_head, int n_kv_heads, float* out);
}  // namespace cpu

namespace {

void attend_paged_reference(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape,
                            int kv_head, float* out) {
  const int hd = shape.head_dim;
  const int group = shape.n_head / shape.n_head_kv;
  const int64_t elem0 = static_cast<int64_t>(kv_head) * hd;
  float k[kMaxHeadDim], v[kMaxHeadDim];
  float m[kMaxHeadsPerKvHead], l[kMaxHeadsPerKvHead];
  float scores[1024];  // block_size <= 1024 (PagedKvCache checks)
  for (int g = 0; g < group; ++g) {
    m[g] = -std::numeric_limits<float>::infinity();
    l[g] = 0.0f;
    std::fill_n(out + static_cast<int64_t>(kv_head * group + g) * hd, hd, 0.0f);
  }
  for (int64_t p0 = first_visible_position(shape, n_kv); p0 < n_kv;) {
    size_t slot0 = 0;
    const int rows = paged_chunk(kv, p0, n_kv, kv.block_size, &slot0);
    p0 += rows;
    for (int g = 0; g < group; ++g) {
      const int h = kv_head * group + g;
      const float* qh = q + static_cast<int64_t>(h) * hd;
      float* acc = out + static_cast<int64_t>(h) * hd;
      float block_max = -std::numeric_limits<float>::infinity();
      for (int r = 0; r < rows; ++r) {
        quant::dequantize_elements(kv.type, kv.keys + (slot0 + static_cast<size_t>(r)) * kv.row_bytes, elem0, hd, k);
        float s = 0.0f;
        for (int d = 0; d < hd; ++d) s += qh[d] * k[d];
        scores[r] = s * shape.scale;
      }
      if (shape.softcap > 0.0f) soft_cap(scores, rows, shape.softcap);
      for (int r = 0; r < rows; ++r) block_max = std::max(block_max, scores[r]);
      if (block_max > m[g]) {  // rescale what was accumulated under the old max
        const float correction = std::exp(m[g] - block_max);
        l[g] *= correction;
        for (int d = 0; d < hd; ++d) acc[d] *= correction;
        m[g] = block_max;
      }
      for (int r = 0; r < rows; ++r) {
        const float w = std::exp(scores[r] - m[g]);
        l[g] += w;
        quant::dequantize_elements(kv.type, kv.values + (slot0 + static_cast<size_t>(r)) * kv.row_bytes, elem0, hd, v);
        for (int d = 0; d < hd; ++d) acc[d] += w * v[d];
      }
    }
  }
  for (int g = 0; g < group; ++g) {
    float* acc = out + static_cast<int64_t>(kv_head * group + g) * hd;
    const float inv = l[g] > 0.0f ? 1.0f / l[g] : 0.0f;
    for (int d = 0; d < hd; ++d) acc[d] *= inv;
  }
}

}  // namespace

int64_t first_visible_position(const AttentionShape& shape, int64_t n_kv) {
  return shape.window > 0 ? std::max<int64_t>(0, n_kv - shape.window) : 0;
}

int paged_chunk(const PagedKv& kv, int64_t p0, int64_t n_kv, int max_rows, size_t* slot0) {
  const int64_t blk = p0 / kv.block_size, off = p0 % kv.block_size;
  const int64_t rows = std::min<int64_t>({kv.block_size - off, max_rows, n_kv - p0});
  *slot0 = static_cast<size_t>(kv.block_table[static_cast<size_t>(blk)]) * static_cast<size_t>(kv.block_size) +
           static_cast<size_t>(off);
  return static_cast<int>(rows);
}

void attend_paged(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape, int kv_head,
                  float* out, CpuPath path) {
  attend_paged_heads(q, kv, n_kv, shape, kv_head, 1, out, path);
}

void attend_paged_run(const float* q, int64_t stride, int n_tokens, const PagedKv& kv, int64_t n_kv_first,
                      const AttentionShape& shape, int kv_head, int n_kv_heads, float* out, CpuPath path) {
  const int group = shape.n_head / shape.n_head_kv;
  if (shape.head_dim > kMaxHeadDim || group > kMaxHeadsPerKvHead) {
    fail("attention: head_dim ", shape.head_dim, " or ", group, " query heads per kv head exceed the supported ",
         kMaxHeadDim, " / ", kMaxHeadsPerKvHead);
  }
  const int per_call = kMaxHeadsPerKvHead / group;  // kv heads whose query heads fit the kernel's state
  for (int h0 = kv_head; h0 < kv_head + n_kv_heads; h0 += per_call) {
    const int count = std::min(per_call, kv_head + n_kv_heads - h0);
    if (path == CpuPath::Avx512 &&
        cpu::attend_paged_avx512(q, stride, n_tokens, kv, n_kv_first, shape, h0, count, out)) {
      continue;
    }
    for (int t = 0; t < n_tokens; ++t) {  // token by token
      const float* qt = q + t * stride;
      float* ot = out + t * stride;
      const int64_t n_kv = n_kv_first + t;
      if (path == CpuPath::Avx512 && cpu::attend_paged_avx512(qt, 0, 1, kv, n_kv, shape, h0, count, ot)) continue;
      if (path != CpuPath::Reference && cpu::attend_paged_avx2(qt, kv, n_kv, shape, h0, count, ot)) continue;
      for (int h = h0; h < h0 + count; ++h) attend_paged_reference(qt, kv, n_kv, shape, h, ot);
    }
  }
}

void attend_paged_run(const float* q, int64_t stride, int n_tokens, const PagedKv& kv, int64_t n_kv_first,
                      const AttentionShape& shape, int kv_head, int n_kv_heads, float* out) {
  attend_paged_run(q, stride, n_tokens, kv, n_kv_first, shape, kv_head, n_kv_heads, out, best_cpu_path());
}

void attend_paged_heads(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape,
                        int kv_head, int n_kv_heads, float* out, CpuPath path) {
  attend_paged_run(q, 0, 1, kv, n_kv, shape, kv_head, n_kv_heads, out, path);
}

void attend_paged_heads(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape,
                        int kv_head, int n_kv_heads, float* out) {
  attend_paged_heads(q, kv, n_kv, shape, kv_head, n_kv_heads, out, best_cpu_path());
}

void attend_paged(const float* q, const PagedKv& kv, int64_t n_kv, const AttentionShape& shape, int kv_head,
                  float* out) {
  attend_paged(q, kv, n_kv, shape, kv_head, out, best_cpu_path());
}

}  // namespace pagoda::kernels
