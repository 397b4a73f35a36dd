// Scalar reference dequantization of the legacy 32-element block formats
// (layouts in quant/blocks.h). The arithmetic (int quant times float scale,
// then + min) is in the same order as the ecosystem's reference code, so the
// results are bit-identical to it.
#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/reference_rows.h"

namespace pagoda::quant::detail {
namespace {

uint32_t load_qh(const uint8_t (&qh)[4]) {
  // Little-endian uint32 whatever the host order.
  return static_cast<uint32_t>(qh[0]) | static_cast<uint32_t>(qh[1]) << 8 |
         static_cast<uint32_t>(qh[2]) << 16 | static_cast<uint32_t>(qh[3]) << 24;
}

}  // namespace

void dequantize_q4_0(const uint8_t* src, float* dst, int64_t blocks) {
  constexpr int kHalf = kQK4_0 / 2;
  for (int64_t i = 0; i < blocks; ++i) {
    const auto b = load_block<BlockQ4_0>(src, i);
    const float d = fp16_to_fp32(b.d);
    float* y = dst + i * kQK4_0;
    for (int j = 0; j < kHalf; ++j) {
      const int lo = (b.qs[j] & 0x0F) - 8;  // element j
      const int hi = (b.qs[j] >> 4) - 8;    // element j + 16
      y[j] = lo * d;
      y[j + kHalf] = hi * d;
    }
  }
}

void dequantize_q4_1(const uint8_t* src, float* dst, int64_t blocks) {
  constexpr int kHalf = kQK4_1 / 2;
  for (int64_t i = 0; i < blocks; ++i) {
    const auto b = load_block<BlockQ4_1>(src, i);
    const float d = fp16_to_fp32(b.d);
    const float m = fp16_to_fp32(b.m);
    float* y = dst + i * kQK4_1;
    for (int j = 0; j < kHalf; ++j) {
      const int lo = b.qs[j] & 0x0F;
      const int hi = b.qs[j] >> 4;
      y[j] = lo * d + m;
      y[j + kHalf] = hi * d + m;
    }
  }
}

void dequantize_q5_0(const uint8_t* src, float* dst, int64_t blocks) {
  constexpr int kHalf = kQK5_0 / 2;
  for (int64_t i = 0; i < blocks; ++i) {
    const auto b = load_block<BlockQ5_0>(src, i);
    const float d = fp16_to_fp32(b.d);
    const uint32_t qh = load_qh(b.qh);
    float* y = dst + i * kQK5_0;
    for (int j = 0; j < kHalf; ++j) {
      // Bit j of qh is the 5th bit of element j, bit j+16 that of j+16.
      const int lo_high = static_cast<int>((qh >> j) & 1u) << 4;
      const int hi_high = static_cast<int>((qh >> (j + kHalf)) & 1u) << 4;
      const int lo = ((b.qs[j] & 0x0F) | lo_high) - 16;
      const int hi = ((b.qs[j] >> 4) | hi_high) - 16;
      y[j] = lo * d;
      y[j + kHalf] = hi * d;
    }
  }
}

void dequantize_q5_1(const uint8_t* src, float* dst, int64_t blocks) {
  constexpr int kHalf = kQK5_1 / 2;
  for (int64_t i = 0; i < blocks; ++i) {
    const auto b = load_block<BlockQ5_1>(src, i);
    const float d = fp16_to_fp32(b.d);
    const float m = fp16_to_fp32(b.m);
    const uint32_t qh = load_qh(b.qh);
    float* y = dst + i * kQK5_1;
    for (int j = 0; j < kHalf; ++j) {
      const int lo_high = static_cast<int>((qh >> j) & 1u) << 4;
      const int hi_high = static_cast<int>((qh >> (j + kHalf)) & 1u) << 4;
      const int lo = (b.qs[j] & 0x0F) | lo_high;
      const int hi = (b.qs[j] >> 4) | hi_high;
      y[j] = lo * d + m;
      y[j + kHalf] = hi * d + m;
    }
  }
}

void dequantize_q8_0(const uint8_t* src, float* dst, int64_t blocks) {
  for (int64_t i = 0; i < blocks; ++i) {
    const auto b = load_block<BlockQ8_0>(src, i);
    const float d = fp16_to_fp32(b.d);
    float* y = dst + i * kQK8_0;
    for (int j = 0; j < kQK8_0; ++j) y[j] = b.qs[j] * d;
  }
}

}  // namespace pagoda::quant::detail
