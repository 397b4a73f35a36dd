// Quantizers for the K-quants (layouts in quant/blocks.h). The formats are
// the ecosystem's; the search for scales is Pagoda's own:
//
//  1. Each sub-block gets the scale (and, for Q2_K/Q4_K/Q5_K, the min) that
//     minimises the importance-weighted squared error: a small grid of
//     starting scales around the range-filling one, each followed by one
//     least-squares refit of scale and min for the quants it produced.
//  2. The sub-block scales (and mins) are themselves quantized against a
//     super-block scale (6 bits for Q3_K/Q4_K/Q5_K, 4 for Q2_K, 8 for Q6_K).
//  3. The quants are recomputed with the scales as stored (fp16 super-block
//     scale times the integer sub-block scale), so rounding of the scales is
//     absorbed rather than compounded.
//
// Importance weights: w_i = x_i^2 + mean(x^2) by default (large weights
// matter more, small ones still count), or the caller's per-column
// importance (an importance matrix, mean squared activations) times that.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/reference_rows.h"

namespace pagoda::quant::detail {
namespace {

int nearest_int(float v) { return static_cast<int>(std::lround(v)); }

// Weights for n elements from x and an optional importance vector.
void importance_weights(const float* x, const float* importance, int n, float* w) {
  float mean_sq = 0;
  for (int i = 0; i < n; ++i) mean_sq += x[i] * x[i];
  mean_sq /= static_cast<float>(n);
  for (int i = 0; i < n; ++i) {
    const float base = x[i] * x[i] + mean_sq + 1e-20f;
    w[i] = importance ? importance[i] * base : base;
  }
}

struct Affine {
  float scale = 0;  // >= 0
  float min = 0;    // <= 0: x ~= scale * q + min
};

// Best (scale, min) for quants q in [0, nmax] under weights w.
Affine fit_affine(const float* x, const float* w, int n, int nmax) {
  float lo = x[0], hi = x[0];
  for (int i = 1; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  lo = std::min(lo, 0.0f);
  if (hi <= lo) return {0.0f, lo};
  Affine best;
  double best_err = INFINITY;
  int q[32];
  for (int step = -6; step <= 6; ++step) {
    const float iscale = (static_cast<float>(nmax) + 0.08f * static_cast<float>(step)) / (hi - lo);
    double sw = 0, sq = 0, sqq = 0, sx = 0, sqx = 0;
    for (int i = 0; i < n; ++i) {
      q[i] = std::clamp(nearest_int(iscale * (x[i] - lo)), 0, nmax);
      sw += w[i];
      sq += w[i] * q[i];
      sqq += w[i] * q[i] * q[i];
      sx += w[i] * x[i];
      sqx += w[i] * q[i] * x[i];
    }
    // Least squares for x ~= s*q + m, then m clamped to <= 0.
    const double det = sw * sqq - sq * sq;
    double s = 0, m = 0;
    if (det > 1e-12 * sw * sqq) {
      s = (sw * sqx - sq * sx) / det;
      m = (sqq * sx - sq * sqx) / det;
    } else if (sqq > 0) {  // every quant equal and nonzero: the scale alone fits
      s = sqx / sqq;
    } else {  // every quant 0: the min alone fits
      m = sx / sw;
    }
    if (m > 0) {
      m = 0;
      s = sqq > 0 ? sqx / sqq : 0.0;
    }
    if (s < 0) continue;
    double err = 0;
    for (int i = 0; i < n; ++i) {
      const double d = s * q[i] + m - x[i];
      err += w[i] * d * d;
    }
    if (err < best_err) {
      best_err = err;
      best = {static_cast<float>(s), static_cast<float>(m)};
    }
  }
  return best;
}

// Best scale for signed quants q in [-nneg, npos] under weights w.
float fit_symmetric(const float* x, const float* w, int n, int nneg, int npos) {
  float amax = 0, vmax = 0;
  for (int i = 0; i < n; ++i) {
    if (std::fabs(x[i]) > amax) {
      amax = std::fabs(x[i]);
      vmax = x[i];
    }
  }
  if (amax == 0) return 0.0f;
  float best = 0;
  double best_err = INFINITY;
  for (int step = -8; step <= 8; ++step) {
    // The extreme element maps near -nneg (the longer side).
    const float iscale = -(static_cast<float>(nneg) + 0.1f * static_cast<float>(step)) / vmax;
    double sqq = 0, sqx = 0;
    int q[32];
    for (int i = 0; i < n; ++i) {
      q[i] = std::clamp(nearest_int(iscale * x[i]), -nneg, npos);
      sqq += w[i] * q[i] * q[i];
      sqx += w[i] * q[i] * x[i];
    }
    if (sqq <= 0) continue;
    const double s = sqx / sqq;
    double err = 0;
    for (int i = 0; i < n; ++i) {
      const double d = s * q[i] - x[i];
      err += w[i] * d * d;
    }
    if (err < best_err) {
      best_err = err;
      best = static_cast<float>(s);
    }
  }
  return best;
}

// The best symmetric scale of each of the 16 sub-blocks of 16 (Q3_K, Q6_K).
void fit_symmetric_subblocks(const float* x, const float* importance, int nneg, int npos, float (&s)[16]) {
  float w[16];
  for (int j = 0; j < 16; ++j) {
    importance_weights(x + 16 * j, importance ? importance + 16 * j : nullptr, 16, w);
    s[j] = fit_symmetric(x + 16 * j, w, 16, nneg, npos);
  }
}

// Quant of x for a stored scale and min (x ~= d * q - m).
int requant(float x, float d, float m, int lo, int hi) {
  if (d == 0) return std::clamp(0, lo, hi);
  return std::clamp(nearest_int((x + m) / d), lo, hi);
}

// Integer scales of the sub-blocks against one super-block scale.
float super_scale(const float* values, int n, int levels) {
  float max = 0;
  for (int i = 0; i < n; ++i) max = std::max(max, std::fabs(values[i]));
  return max / static_cast<float>(levels);
}

// Packs the 8 6-bit scales and mins of Q4_K/Q5_K (layout in blocks.h).
void pack_scale_min_k4(const int (&sc)[8], const int (&mn)[8], uint8_t (&out)[kKScaleSize]) {
  for (int j = 0; j < 4; ++j) {
    out[j] = static_cast<uint8_t>((sc[j] & 63) | ((sc[j + 4] >> 4) << 6));
    out[j + 4] = static_cast<uint8_t>((mn[j] & 63) | ((mn[j + 4] >> 4) << 6));
    out[j + 8] = static_cast<uint8_t>((sc[j + 4] & 0x0F) | ((mn[j + 4] & 0x0F) << 4));
  }
}

// Shared by Q4_K (nmax 15) and Q5_K (nmax 31): 8 sub-blocks of 32.
void quantize_k4_superblock(const float* x, const float* importance, int nmax, uint16_t& d_out, uint16_t& dmin_out,
                            uint8_t (&scales)[kKScaleSize], int (&q)[kQK_K]) {
  float w[32];
  float s[8], m[8];
  for (int j = 0; j < 8; ++j) {
    importance_weights(x + 32 * j, importance ? importance + 32 * j : nullptr, 32, w);
    const Affine a = fit_affine(x + 32 * j, w, 32, nmax);
    s[j] = a.scale;
    m[j] = -a.min;
  }
  const float d = super_scale(s, 8, 63), dmin = super_scale(m, 8, 63);
  d_out = fp32_to_fp16(d);
  dmin_out = fp32_to_fp16(dmin);
  const float dq = fp16_to_fp32(d_out), dminq = fp16_to_fp32(dmin_out);
  int sc[8], mn[8];
  for (int j = 0; j < 8; ++j) {
    sc[j] = dq > 0 ? std::clamp(nearest_int(s[j] / dq), 0, 63) : 0;
    mn[j] = dminq > 0 ? std::clamp(nearest_int(m[j] / dminq), 0, 63) : 0;
  }
  pack_scale_min_k4(sc, mn, scales);
  for (int j = 0; j < 8; ++j) {
    const float dl = dq * static_cast<float>(sc[j]), ml = dminq * static_cast<float>(mn[j]);
    for (int l = 0; l < 32; ++l) q[32 * j + l] = requant(x[32 * j + l], dl, ml, 0, nmax);
  }
}

// Low nibbles of elements 64k+l, high nibbles of 64k+32+l in qs[32k+l].
void pack_nibbles_k4(const int (&q)[kQK_K], uint8_t* qs) {
  for (int k = 0; k < 4; ++k) {
    for (int l = 0; l < 32; ++l) {
      qs[32 * k + l] = static_cast<uint8_t>((q[64 * k + l] & 0x0F) | ((q[64 * k + 32 + l] & 0x0F) << 4));
    }
  }
}

// 2-bit fields of Q2_K/Q3_K: element 128h + 32t + l in bits 2t of qs[32h + l].
void pack_crumbs(const int (&low)[kQK_K], uint8_t* qs) {
  std::memset(qs, 0, kQK_K / 4);
  for (int e = 0; e < kQK_K; ++e) {
    const int h = e / 128, r = e % 128;
    qs[32 * h + r % 32] = static_cast<uint8_t>(qs[32 * h + r % 32] | ((low[e] & 3) << (2 * (r / 32))));
  }
}

}  // namespace

void quantize_q4_k(const float* src, uint8_t* dst, int64_t blocks, const float* importance) {
  for (int64_t i = 0; i < blocks; ++i) {
    BlockQ4_K b{};
    int q[kQK_K];
    quantize_k4_superblock(src + i * kQK_K, importance ? importance + i * kQK_K : nullptr, 15, b.d, b.dmin, b.scales, q);
    pack_nibbles_k4(q, b.qs);
    store_block(b, dst, i);
  }
}

void quantize_q5_k(const float* src, uint8_t* dst, int64_t blocks, const float* importance) {
  for (int64_t i = 0; i < blocks; ++i) {
    BlockQ5_K b{};
    int q[kQK_K];
    quantize_k4_superblock(src + i * kQK_K, importance ? importance + i * kQK_K : nullptr, 31, b.d, b.dmin, b.scales, q);
    pack_nibbles_k4(q, b.qs);
    // 5th bit of element 32s + l is bit s of qh[l].
    for (int e = 0; e < kQK_K; ++e) {
      if (q[e] & 16) b.qh[e % 32] = static_cast<uint8_t>(b.qh[e % 32] | (1 << (e / 32)));
    }
    store_block(b, dst, i);
  }
}

void quantize_q2_k(const float* src, uint8_t* dst, int64_t blocks, const float* importance) {
  for (int64_t i = 0; i < blocks; ++i) {
    const float* x = src + i * kQK_K;
    BlockQ2_K b{};
    float w[16], s[16], m[16];
    for (int j = 0; j < 16; ++j) {
      importance_weights(x + 16 * j, importance ? importance + i * kQK_K + 16 * j : nullptr, 16, w);
      const Affine a = fit_affine(x + 16 * j, w, 16, 3);
      s[j] = a.scale;
      m[j] = -a.min;
    }
    b.d = fp32_to_fp16(super_scale(s, 16, 15));
    b.dmin = fp32_to_fp16(super_scale(m, 16, 15));
    const float dq = fp16_to_fp32(b.d), dminq = fp16_to_fp32(b.dmin);
    int q[kQK_K];
    for (int j = 0; j < 16; ++j) {
      const int sc = dq > 0 ? std::clamp(nearest_int(s[j] / dq), 0, 15) : 0;
      const int mn = dminq > 0 ? std::clamp(nearest_int(m[j] / dminq), 0, 15) : 0;
      b.scales[j] = static_cast<uint8_t>(sc | (mn << 4));
      for (int l = 0; l < 16; ++l) q[16 * j + l] = requant(x[16 * j + l], dq * sc, dminq * mn, 0, 3);
    }
    pack_crumbs(q, b.qs);
    store_block(b, dst, i);
  }
}

void quantize_q3_k(const float* src, uint8_t* dst, int64_t blocks, const float* importance) {
  for (int64_t i = 0; i < blocks; ++i) {
    const float* x = src + i * kQK_K;
    BlockQ3_K b{};
    float s[16];
    fit_symmetric_subblocks(x, importance ? importance + i * kQK_K : nullptr, 4, 3, s);
    // Signed 6-bit sub-block scales (stored + 32): the largest |s| maps to 31
    // or -32 depending on its sign.
    float smax = 0, vmax = 0;
    for (float v : s) {
      if (std::fabs(v) > smax) smax = std::fabs(v), vmax = v;
    }
    const float d = vmax == 0 ? 0.0f : vmax / (vmax > 0 ? 31.0f : -32.0f);
    b.d = fp32_to_fp16(d);
    const float dq = fp16_to_fp32(b.d);
    int sc[16], low[kQK_K];
    for (int j = 0; j < 16; ++j) {
      sc[j] = dq != 0 ? std::clamp(nearest_int(s[j] / dq), -32, 31) : 0;
      for (int l = 0; l < 16; ++l) {
        const int e = 16 * j + l;
        const int q = requant(x[e], dq * sc[j], 0.0f, -4, 3) + 4;  // 0..7
        low[e] = q & 3;
        // High bit of element 32g + r sits at bit g of hmask[r].
        if (q & 4) b.hmask[e % 32] = static_cast<uint8_t>(b.hmask[e % 32] | (1 << (e / 32)));
      }
    }
    for (int k = 0; k < 16; ++k) {
      const int v = sc[k] + 32;
      if (k < 8) b.scales[k] = static_cast<uint8_t>(b.scales[k] | (v & 0x0F));
      else b.scales[k - 8] = static_cast<uint8_t>(b.scales[k - 8] | ((v & 0x0F) << 4));
      b.scales[8 + k % 4] = static_cast<uint8_t>(b.scales[8 + k % 4] | (((v >> 4) & 3) << (2 * (k / 4))));
    }
    pack_crumbs(low, b.qs);
    store_block(b, dst, i);
  }
}

void quantize_q6_k(const float* src, uint8_t* dst, int64_t blocks, const float* importance) {
  for (int64_t i = 0; i < blocks; ++i) {
    const float* x = src + i * kQK_K;
    BlockQ6_K b{};
    float s[16];
    fit_symmetric_subblocks(x, importance ? importance + i * kQK_K : nullptr, 32, 31, s);
    b.d = fp32_to_fp16(super_scale(s, 16, 127));
    const float dq = fp16_to_fp32(b.d);
    int q[kQK_K];
    for (int j = 0; j < 16; ++j) {
      const int sc = dq > 0 ? std::clamp(nearest_int(s[j] / dq), -128, 127) : 0;
      b.scales[j] = static_cast<int8_t>(sc);
      for (int l = 0; l < 16; ++l) q[16 * j + l] = requant(x[16 * j + l], dq * sc, 0.0f, -32, 31) + 32;
    }
    // Element 128h + 32t + l: low nibble in ql[64h + 32(t&1) + l] (low half
    // for t < 2), high 2 bits at bit 2t of qh[32h + l].
    for (int e = 0; e < kQK_K; ++e) {
      const int h = e / 128, r = e % 128, t = r / 32, l = r % 32;
      uint8_t& ql = b.ql[64 * h + 32 * (t & 1) + l];
      ql = static_cast<uint8_t>(ql | ((q[e] & 0x0F) << (t < 2 ? 0 : 4)));
      b.qh[32 * h + l] = static_cast<uint8_t>(b.qh[32 * h + l] | (((q[e] >> 4) & 3) << (2 * t)));
    }
    store_block(b, dst, i);
  }
}

}  // namespace pagoda::quant::detail
