// Reference quantizers: hand-checked blocks (exact bytes), then
// quantize -> dequantize error bounds on random data for every type that
// can be quantized.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

#include "core/error.h"
#include "quant/dequantize.h"
#include "quant/half.h"
#include "quant_test_util.h"

namespace pagoda::quant {
namespace {

using testing::Bytes;

// Quantizes into an odd address (fp16 fields then sit misaligned, which
// UBSan would flag for a plain store), then returns the bytes.
Bytes quantize(TensorType type, const std::vector<float>& x) {
  const size_t bytes = row_bytes(type, static_cast<int64_t>(x.size()));
  Bytes buffer(bytes + 1);
  quantize_row(type, x.data(), buffer.data() + 1, static_cast<int64_t>(x.size()));
  return Bytes(buffer.begin() + 1, buffer.end());
}

std::vector<float> roundtrip(TensorType type, const std::vector<float>& x) {
  return testing::dequantize_bytes(type, quantize(type, x));
}

uint16_t u16_at(const Bytes& b, size_t off) {
  return static_cast<uint16_t>(b[off] | b[off + 1] << 8);
}

TEST(QuantizeTest, CanQuantize) {
  for (TensorType t : {TensorType::F32, TensorType::F16, TensorType::BF16, TensorType::Q4_0,
                       TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0,
                       TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K}) {
    EXPECT_TRUE(can_quantize(t)) << type_info(t).name;
  }
  for (TensorType t : {TensorType::Q8_1, TensorType::Q8_K, TensorType::IQ4_NL, TensorType::I8}) {
    EXPECT_FALSE(can_quantize(t)) << type_info(t).name;
  }
  std::vector<float> x(256, 1.0f);
  Bytes out(1024);
  EXPECT_THROW(quantize_row(TensorType::IQ4_NL, x.data(), out.data(), 256), pagoda::Error);
  EXPECT_THROW(quantize_row(TensorType::Q4_K, x.data(), out.data(), 255), pagoda::Error);
  EXPECT_THROW(quantize_row(TensorType::Q8_0, x.data(), out.data(), 31), pagoda::Error);
}

// Q8_0: amax = 127 -> d = 1 (fp16 0x3C00); q = roundf(x), halves away from 0.
TEST(QuantizeTest, Q8_0ByHand) {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;   // -> 127 (0x7F)
  x[1] = -127.0f;  // -> -127 (0x81)
  x[2] = 0.5f;     // tie -> 1
  x[3] = -0.5f;    // tie -> -1 (0xFF)
  x[4] = 2.5f;     // tie -> 3
  x[5] = -2.49f;   // -> -2 (0xFE)
  x[6] = 99.51f;   // -> 100 (0x64)
  const Bytes b = quantize(TensorType::Q8_0, x);
  EXPECT_EQ(u16_at(b, 0), 0x3C00);
  const Bytes qs(b.begin() + 2, b.begin() + 9);
  EXPECT_EQ(qs, (Bytes{0x7F, 0x81, 0x01, 0xFF, 0x03, 0xFE, 0x64}));
  for (size_t j = 9; j < b.size(); ++j) EXPECT_EQ(b[j], 0) << j;
}

// Q4_0: the largest-magnitude value 8 (positive) gives d = 8 / -8 = -1
// (fp16 0xBC00), id = -1, q = min(15, trunc(-x + 8.5)).
TEST(QuantizeTest, Q4_0ByHand) {
  std::vector<float> x(32, 0.0f);  // 0 -> trunc(8.5) = 8
  x[0] = 8.0f;     // trunc(0.5) = 0, decodes (0-8)*-1 = 8
  x[1] = -8.0f;    // trunc(16.5) = 16, clamped to 15, decodes -7
  x[2] = 3.0f;     // trunc(5.5) = 5, decodes 3
  x[3] = 0.5f;     // tie: trunc(8.0) = 8, decodes 0
  x[4] = -0.5f;    // tie: trunc(9.0) = 9, decodes -1
  x[16] = -2.0f;   // element 16 is the high nibble of byte 0: trunc(10.5) = 10
  const Bytes b = quantize(TensorType::Q4_0, x);
  EXPECT_EQ(u16_at(b, 0), 0xBC00);
  EXPECT_EQ(b[2], 0xA0);  // element 0 (q 0) | element 16 (q 10) << 4
  EXPECT_EQ(b[3], 0x8F);  // element 1 (q 15) | element 17 (q 8) << 4
  EXPECT_EQ(b[4], 0x85);
  EXPECT_EQ(b[5], 0x88);
  EXPECT_EQ(b[6], 0x89);
  for (int j = 5; j < 16; ++j) EXPECT_EQ(b[2 + j], 0x88) << j;
  const std::vector<float> y = testing::dequantize_bytes(TensorType::Q4_0, b);
  EXPECT_EQ(y[0], 8.0f);
  EXPECT_EQ(y[1], -7.0f);
  EXPECT_EQ(y[16], -2.0f);
}

// Q4_1: min -1, max 14 -> d = 15 / 15 = 1 (0x3C00), m = -1 (0xBC00),
// q = min(15, trunc(x + 1 + 0.5)).
TEST(QuantizeTest, Q4_1ByHand) {
  std::vector<float> x(32, 0.0f);  // 0 -> trunc(1.5) = 1
  x[0] = -1.0f;   // q 0
  x[1] = 14.0f;   // q 15
  x[2] = 2.5f;    // trunc(4.0) = 4 (tie rounds up)
  x[17] = 6.2f;   // trunc(7.7) = 7, high nibble of byte 1
  const Bytes b = quantize(TensorType::Q4_1, x);
  EXPECT_EQ(u16_at(b, 0), 0x3C00);
  EXPECT_EQ(u16_at(b, 2), 0xBC00);
  EXPECT_EQ(b[4], 0x10);  // q 0 | element 16 (q 1) << 4
  EXPECT_EQ(b[5], 0x7F);  // q 15 | q 7 << 4
  EXPECT_EQ(b[6], 0x14);
  EXPECT_EQ(b[7], 0x11);
}

// Q5_0: largest magnitude -16 gives d = -16 / -16 = 1 (0x3C00),
// q = min(31, trunc(x + 16.5)); bit 4 of q goes to qh bit (element index).
TEST(QuantizeTest, Q5_0ByHand) {
  std::vector<float> x(32, 0.0f);  // 0 -> 16: nibble 0, high bit set
  x[0] = -16.0f;  // q 0: nibble 0, no high bit
  x[1] = 16.0f;   // trunc(32.5) = 32, clamped to 31: nibble 15, high bit
  x[2] = -1.0f;   // q 15: nibble 15, no high bit
  x[16] = 3.0f;   // q 19: nibble 3, high bit (qh bit 16)
  x[31] = -9.0f;  // q 7: nibble 7, no high bit (qh bit 31 clear)
  const Bytes b = quantize(TensorType::Q5_0, x);
  EXPECT_EQ(u16_at(b, 0), 0x3C00);
  // qh: every element has the high bit except 0, 2 and 31:
  // 0xFFFFFFFF & ~(1 | 4 | 1 << 31) = 0x7FFFFFFA, little-endian.
  EXPECT_EQ(b[2], 0xFA);
  EXPECT_EQ(b[3], 0xFF);
  EXPECT_EQ(b[4], 0xFF);
  EXPECT_EQ(b[5], 0x7F);
  EXPECT_EQ(b[6], 0x30);   // element 0 nibble 0 | element 16 nibble 3 << 4
  EXPECT_EQ(b[7], 0x0F);   // element 1 nibble 15 | element 17 nibble 0
  EXPECT_EQ(b[8], 0x0F);   // element 2 nibble 15
  EXPECT_EQ(b[21], 0x70);  // element 15 nibble 0 | element 31 nibble 7 << 4
}

// Q5_1: min 0, max 31 -> d = 1, m = 0; q = trunc(x + 0.5).
TEST(QuantizeTest, Q5_1ByHand) {
  std::vector<float> x(32, 0.0f);
  x[0] = 31.0f;   // q 31 = 0b11111: nibble 15, high bit 1
  x[1] = 15.5f;   // tie: trunc(16.0) = 16: nibble 0, high bit 1
  x[2] = 15.49f;  // q 15
  const Bytes b = quantize(TensorType::Q5_1, x);
  EXPECT_EQ(u16_at(b, 0), 0x3C00);
  EXPECT_EQ(u16_at(b, 2), 0x0000);
  EXPECT_EQ(b[4], 0x03);  // qh bits 0 and 1
  EXPECT_EQ(b[5], 0x00);
  EXPECT_EQ(b[8], 0x0F);
  EXPECT_EQ(b[9], 0x00);
  EXPECT_EQ(b[10], 0x0F);
}

// An all-zero block has d = 0; id is then 0, not inf.
TEST(QuantizeTest, ZeroBlocks) {
  const std::vector<float> zeros(32, 0.0f);
  Bytes b = quantize(TensorType::Q4_0, zeros);  // q = trunc(8.5) = 8
  // d = 0.0f / -8 = -0.0f, stored as fp16 0x8000 (as the reference does).
  EXPECT_EQ(u16_at(b, 0), 0x8000);
  for (int j = 0; j < 16; ++j) EXPECT_EQ(b[2 + j], 0x88);
  b = quantize(TensorType::Q5_0, zeros);  // q = 16: qh all ones, nibbles 0
  for (int j = 0; j < 4; ++j) EXPECT_EQ(b[2 + j], 0xFF);
  for (int j = 0; j < 16; ++j) EXPECT_EQ(b[6 + j], 0x00);
  for (TensorType t : {TensorType::Q4_0, TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1,
                       TensorType::Q8_0}) {
    for (float v : roundtrip(t, zeros)) EXPECT_EQ(v, 0.0f) << type_info(t).name;
  }
  // Constant block: min == max, d = 0, everything decodes to fp16(m).
  const std::vector<float> sevens(32, 7.0f);
  for (float v : roundtrip(TensorType::Q4_1, sevens)) EXPECT_EQ(v, 7.0f);
  for (float v : roundtrip(TensorType::Q5_1, sevens)) EXPECT_EQ(v, 7.0f);
}

TEST(QuantizeTest, FloatFormats) {
  const std::vector<float> x = {1.0f, -2.5f, 65504.0f, 1e-8f, 3.14159265f, -0.0f};
  EXPECT_EQ(roundtrip(TensorType::F32, x), x);
  const Bytes h = quantize(TensorType::F16, x);
  EXPECT_EQ(u16_at(h, 0), 0x3C00);
  EXPECT_EQ(u16_at(h, 2), 0xC100);  // -2.5 = -1.25 * 2^1
  EXPECT_EQ(u16_at(h, 4), 0x7BFF);
  EXPECT_EQ(u16_at(h, 6), 0x0000);  // 1e-8 < 2^-25 rounds to 0
  EXPECT_EQ(u16_at(h, 8), 0x4248);  // pi to nearest half: 3.140625
  EXPECT_EQ(u16_at(h, 10), 0x8000);
  const Bytes bf = quantize(TensorType::BF16, x);
  EXPECT_EQ(u16_at(bf, 0), 0x3F80);
  EXPECT_EQ(u16_at(bf, 2), 0xC020);
  EXPECT_EQ(u16_at(bf, 8), 0x4049);  // pi 0x40490FDB -> 0x4049 (below tie)
}

// ---- Error bounds on random data ----
// Per block, with d the exact float scale the quantizer computes and d16 the
// stored fp16(d) (m16 likewise for the min), an element x decodes to y with
//   Q8_0:      |x - y| <= |d|/2 + 127 |d - d16|
//   Q4_0:      |x - y| <= |d|/2 + 8 |d - d16|   if x/d <= 7.5 (not clamped)
//              |x - y| <= |d|   + 8 |d - d16|   always (x/d in (7.5, 8] is
//                                               clamped to quant 15 = +7)
//   Q5_0:      as Q4_0 with 16 and 15.5 for 8 and 7.5
//   Q4_1:      |x - y| <= d/2 + 15 |d - d16| + |min - m16|
//   Q5_1:      |x - y| <= d/2 + 31 |d - d16| + |min - m16|
// plus float rounding slack of a few ulps of the block's largest magnitude.
// The |d - d16| terms are the price of storing d as fp16 (relative error
// <= 2^-11) while the quants were chosen with the exact d.
//   F16:  |x - y| <= 2^-11 |x| for normal halves, <= 2^-25 below 2^-14
//   BF16: |x - y| <= 2^-8 |x|;  F32: exact.

struct BlockStats {
  float amax = 0, signed_max = 0, min = 0, max = 0;
};

BlockStats stats(const float* x) {
  BlockStats s{0, 0, x[0], x[0]};
  for (int j = 0; j < 32; ++j) {
    if (std::fabs(x[j]) > s.amax) {
      s.amax = std::fabs(x[j]);
      s.signed_max = x[j];
    }
    s.min = std::min(s.min, x[j]);
    s.max = std::max(s.max, x[j]);
  }
  return s;
}

std::vector<float> random_row(std::mt19937& rng, int blocks) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> log_scale(-8.0f, 8.0f);
  std::vector<float> x(static_cast<size_t>(32 * blocks));
  for (int blk = 0; blk < blocks; ++blk) {
    // Each block its own magnitude and offset, so scales vary widely.
    const float scale = std::exp2(log_scale(rng));
    const float offset = (blk % 3 == 0) ? scale * normal(rng) : 0.0f;
    for (int j = 0; j < 32; ++j) x[static_cast<size_t>(32 * blk + j)] = offset + scale * normal(rng);
  }
  return x;
}

void check_block_bound(TensorType type, const float* x, const uint8_t* block, const float* y,
                       int blk) {
  const BlockStats s = stats(x);
  const float slack = 8 * FLT_EPSILON * std::max(s.amax, std::fabs(s.max - s.min));
  const float d16 = fp16_to_fp32(static_cast<uint16_t>(block[0] | block[1] << 8));
  for (int j = 0; j < 32; ++j) {
    const float err = std::fabs(x[j] - y[j]);
    float bound = 0;
    switch (type) {
      case TensorType::Q8_0: {
        const float d = s.amax / 127;
        bound = d / 2 + 127 * std::fabs(d - d16);
        break;
      }
      case TensorType::Q4_0:
      case TensorType::Q5_0: {
        const float levels = type == TensorType::Q4_0 ? 8.0f : 16.0f;
        const float d = s.signed_max / -levels;
        const bool clamped = x[j] / d > levels - 0.5f;
        bound = (clamped ? std::fabs(d) : std::fabs(d) / 2) + levels * std::fabs(d - d16);
        break;
      }
      case TensorType::Q4_1:
      case TensorType::Q5_1: {
        const float levels = type == TensorType::Q4_1 ? 15.0f : 31.0f;
        const float d = (s.max - s.min) / levels;
        const float m16 = fp16_to_fp32(static_cast<uint16_t>(block[2] | block[3] << 8));
        bound = d / 2 + levels * std::fabs(d - d16) + std::fabs(s.min - m16);
        break;
      }
      default:
        FAIL();
    }
    ASSERT_LE(err, bound + slack) << type_info(type).name << " block " << blk << " element " << j
                                  << " x=" << x[j] << " y=" << y[j];
  }
}

TEST(QuantizeTest, BlockFormatsErrorBounds) {
  std::mt19937 rng(1234);
  constexpr int kBlocks = 512;
  const std::vector<float> x = random_row(rng, kBlocks);
  for (TensorType type : {TensorType::Q4_0, TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1,
                          TensorType::Q8_0}) {
    const Bytes q = quantize(type, x);
    const std::vector<float> y = testing::dequantize_bytes(type, q);
    const auto bytes = static_cast<size_t>(type_info(type).block_bytes);
    for (int blk = 0; blk < kBlocks; ++blk) {
      check_block_bound(type, &x[32 * static_cast<size_t>(blk)], &q[bytes * blk],
                        &y[32 * static_cast<size_t>(blk)], blk);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
}

TEST(QuantizeTest, FloatFormatsErrorBounds) {
  std::mt19937 rng(99);
  std::uniform_real_distribution<float> mant(-1.0f, 1.0f);
  std::uniform_int_distribution<int> expo(-30, 15);
  std::vector<float> x(4096);
  for (float& v : x) v = std::ldexp(mant(rng), expo(rng));
  EXPECT_EQ(roundtrip(TensorType::F32, x), x);
  const std::vector<float> h = roundtrip(TensorType::F16, x);
  const std::vector<float> bf = roundtrip(TensorType::BF16, x);
  for (size_t i = 0; i < x.size(); ++i) {
    const float ax = std::fabs(x[i]);
    const float f16_bound = ax >= std::ldexp(1.0f, -14) ? std::ldexp(ax, -11) : std::ldexp(1.0f, -25);
    ASSERT_LE(std::fabs(x[i] - h[i]), f16_bound) << x[i];
    ASSERT_LE(std::fabs(x[i] - bf[i]), std::ldexp(ax, -8)) << x[i];
  }
}

}  // namespace
}  // namespace pagoda::quant
