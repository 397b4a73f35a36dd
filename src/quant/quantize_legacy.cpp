// Reference round-to-nearest quantizers for the legacy 32-element formats,
// reproducing the ecosystem's reference quantizers bit for bit (they are
// what "deterministic creation of model files" uses):
//   Q4_0/Q5_0: d = v / -8 (or -16), v the element of largest magnitude with
//              its sign, so v itself maps to quant 0; q = trunc(x/d + 8.5)
//              (+16.5), clamped to 15 (31): the element of opposite sign
//              and equal magnitude would need quant 16 (32).
//   Q4_1/Q5_1: d = (max - min) / 15 (31), m = min, q = trunc((x-min)/d + .5).
//   Q8_0:      d = amax / 127, q = round-half-away(x / d).
// The stored d is fp16(d) but the quants use 1/d of the exact float d, as
// the reference does. A scale of 0 (all-zero block) gives quants of 0.
//
// Inputs are expected finite. With inf/NaN the reference's float-to-int
// casts are undefined behaviour; here they are clamped instead (NaN -> 0),
// which changes nothing for finite inputs.
#include <cfloat>
#include <cmath>

#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/reference_rows.h"

namespace pagoda::quant::detail {
namespace {

// Truncation toward zero of v into [0, hi]; equal to the reference's
// MIN(hi, (int8_t)v) / (uint8_t)v for every v the finite-input path reaches
// (v > -1 and v < hi + 2), and defined for the rest.
int trunc_clamped(float v, int hi) {
  if (!(v > 0.0f)) return 0;  // also NaN
  if (v >= static_cast<float>(hi)) return hi;
  return static_cast<int>(v);
}

// Rounds half away from zero (as roundf) into [-lim, lim]. For finite input
// |v| exceeds lim by float rounding error at most, so the clamp only guards
// inf/NaN.
int round_clamped(float v, int lim) {
  if (std::isnan(v)) return 0;
  const float r = std::round(v);
  if (r > static_cast<float>(lim)) return lim;
  if (r < static_cast<float>(-lim)) return -lim;
  return static_cast<int>(r);
}

// The signed value of largest magnitude (the first one on ties), 0 if none.
float signed_absmax(const float* x, int n) {
  float amax = 0.0f;
  float max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

struct MinMax {
  float min;
  float max;
};

MinMax min_max(const float* x, int n) {
  MinMax r{FLT_MAX, -FLT_MAX};
  for (int j = 0; j < n; ++j) {
    if (x[j] < r.min) r.min = x[j];
    if (x[j] > r.max) r.max = x[j];
  }
  return r;
}

void set_qh(uint8_t (&qh)[4], uint32_t bits) {
  for (int k = 0; k < 4; ++k) qh[k] = static_cast<uint8_t>(bits >> (8 * k));
}

}  // namespace

void quantize_q4_0(const float* src, uint8_t* dst, int64_t blocks) {
  constexpr int kHalf = kQK4_0 / 2;
  for (int64_t i = 0; i < blocks; ++i) {
    const float* x = src + i * kQK4_0;
    const float d = signed_absmax(x, kQK4_0) / -8;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ4_0 b;
    b.d = fp32_to_fp16(d);
    for (int j = 0; j < kHalf; ++j) {
      const int lo = trunc_clamped(x[j] * id + 8.5f, 15);
      const int hi = trunc_clamped(x[j + kHalf] * id + 8.5f, 15);
      b.qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
    store_block(b, dst, i);
  }
}

void quantize_q4_1(const float* src, uint8_t* dst, int64_t blocks) {
  constexpr int kHalf = kQK4_1 / 2;
  for (int64_t i = 0; i < blocks; ++i) {
    const float* x = src + i * kQK4_1;
    const MinMax mm = min_max(x, kQK4_1);
    const float d = (mm.max - mm.min) / 15;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ4_1 b;
    b.d = fp32_to_fp16(d);
    b.m = fp32_to_fp16(mm.min);
    for (int j = 0; j < kHalf; ++j) {
      const int lo = trunc_clamped((x[j] - mm.min) * id + 0.5f, 15);
      const int hi = trunc_clamped((x[j + kHalf] - mm.min) * id + 0.5f, 15);
      b.qs[j] = static_cast<uint8_t>(lo | (hi << 4));
    }
    store_block(b, dst, i);
  }
}

void quantize_q5_0(const float* src, uint8_t* dst, int64_t blocks) {
  constexpr int kHalf = kQK5_0 / 2;
  for (int64_t i = 0; i < blocks; ++i) {
    const float* x = src + i * kQK5_0;
    const float d = signed_absmax(x, kQK5_0) / -16;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ5_0 b;
    b.d = fp32_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kHalf; ++j) {
      const int lo = trunc_clamped(x[j] * id + 16.5f, 31);
      const int hi = trunc_clamped(x[j + kHalf] * id + 16.5f, 31);
      b.qs[j] = static_cast<uint8_t>((lo & 0x0F) | ((hi & 0x0F) << 4));
      qh |= static_cast<uint32_t>(lo >> 4) << j;
      qh |= static_cast<uint32_t>(hi >> 4) << (j + kHalf);
    }
    set_qh(b.qh, qh);
    store_block(b, dst, i);
  }
}

void quantize_q5_1(const float* src, uint8_t* dst, int64_t blocks) {
  constexpr int kHalf = kQK5_1 / 2;
  for (int64_t i = 0; i < blocks; ++i) {
    const float* x = src + i * kQK5_1;
    const MinMax mm = min_max(x, kQK5_1);
    const float d = (mm.max - mm.min) / 31;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ5_1 b;
    b.d = fp32_to_fp16(d);
    b.m = fp32_to_fp16(mm.min);
    uint32_t qh = 0;
    for (int j = 0; j < kHalf; ++j) {
      // The reference does not clamp here; (x - min) * id + 0.5 stays
      // below 32 for finite input, so the clamp to 31 is a no-op.
      const int lo = trunc_clamped((x[j] - mm.min) * id + 0.5f, 31);
      const int hi = trunc_clamped((x[j + kHalf] - mm.min) * id + 0.5f, 31);
      b.qs[j] = static_cast<uint8_t>((lo & 0x0F) | ((hi & 0x0F) << 4));
      qh |= static_cast<uint32_t>(lo >> 4) << j;
      qh |= static_cast<uint32_t>(hi >> 4) << (j + kHalf);
    }
    set_qh(b.qh, qh);
    store_block(b, dst, i);
  }
}

void quantize_q8_0(const float* src, uint8_t* dst, int64_t blocks) {
  for (int64_t i = 0; i < blocks; ++i) {
    const float* x = src + i * kQK8_0;
    float amax = 0.0f;
    for (int j = 0; j < kQK8_0; ++j) amax = std::fmax(amax, std::fabs(x[j]));
    const float d = amax / 127;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    BlockQ8_0 b;
    b.d = fp32_to_fp16(d);
    for (int j = 0; j < kQK8_0; ++j) {
      b.qs[j] = static_cast<int8_t>(round_clamped(x[j] * id, 127));
    }
    store_block(b, dst, i);
  }
}

}  // namespace pagoda::quant::detail
