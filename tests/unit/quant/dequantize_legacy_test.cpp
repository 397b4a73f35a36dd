// Hand-built blocks of the float formats and the legacy 32-element formats.
// Each expected value is derived by hand in the comments from the block
// bytes and the GGUF layout; none is computed by code under test.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "core/error.h"
#include "quant/dequantize.h"
#include "quant_test_util.h"

namespace pagoda::quant {
namespace {

using testing::Bytes;
using testing::dequantize_bytes;
using testing::put_u16;

TEST(DequantizeFloatTest, F32IsACopy) {
  // 1.5f = 0x3FC00000, -0.25f = 0xBE800000, little-endian.
  const Bytes b = {0x00, 0x00, 0xC0, 0x3F, 0x00, 0x00, 0x80, 0xBE};
  EXPECT_EQ(dequantize_bytes(TensorType::F32, b), (std::vector<float>{1.5f, -0.25f}));
}

TEST(DequantizeFloatTest, F16) {
  const Bytes b = {
      0x00, 0x3C,  // 0x3C00: exp 15 -> 2^0, mantissa 0 -> 1.0
      0x00, 0xC0,  // 0xC000: sign, exp 16 -> -2.0
      0x01, 0x00,  // 0x0001: smallest subnormal 2^-24
      0xFF, 0x7B,  // 0x7BFF: (2 - 2^-10) * 2^15 = 65504
      0x00, 0x7C,  // 0x7C00: +inf
      0x00, 0x80,  // 0x8000: -0
  };
  const std::vector<float> y = dequantize_bytes(TensorType::F16, b);
  ASSERT_EQ(y.size(), 6u);
  EXPECT_EQ(y[0], 1.0f);
  EXPECT_EQ(y[1], -2.0f);
  EXPECT_EQ(y[2], std::ldexp(1.0f, -24));
  EXPECT_EQ(y[3], 65504.0f);
  EXPECT_EQ(y[4], std::numeric_limits<float>::infinity());
  EXPECT_EQ(y[5], 0.0f);
  EXPECT_TRUE(std::signbit(y[5]));
}

TEST(DequantizeFloatTest, Bf16) {
  const Bytes b = {
      0x80, 0x3F,  // 0x3F80 -> float bits 0x3F800000 = 1.0
      0x49, 0x40,  // 0x4049 -> 0x40490000 = 2 * 1.5703125 = 3.140625
      0x80, 0xBF,  // 0xBF80 -> -1.0
      0x80, 0x7F,  // 0x7F80 -> +inf
  };
  EXPECT_EQ(dequantize_bytes(TensorType::BF16, b),
            (std::vector<float>{1.0f, 3.140625f, -1.0f, std::numeric_limits<float>::infinity()}));
}

// Q4_0 nibble order: byte j of qs holds element j (low nibble) and element
// j + 16 (high nibble). Value = d * (q - 8).
TEST(DequantizeLegacyTest, Q4_0TwoBlocks) {
  Bytes b(2 * 18);
  // Block 0: d = 0.5 (fp16 0x3800); qs[j] = j | (15 - j) << 4.
  put_u16(b, 0, 0x3800);
  for (int j = 0; j < 16; ++j) b[2 + j] = static_cast<uint8_t>(j | (15 - j) << 4);
  // Block 1: d = -2 (fp16 0xC000), negative scales are legal; qs = 0x0F:
  // low nibble 15 -> (15-8) * -2 = -14, high nibble 0 -> (0-8) * -2 = 16.
  put_u16(b, 18, 0xC000);
  for (int j = 0; j < 16; ++j) b[20 + j] = 0x0F;

  const std::vector<float> y = dequantize_bytes(TensorType::Q4_0, b);
  // Elements 0..15: low nibble j -> (j - 8) * 0.5, e.g. nibble 0x3 -> -2.5.
  // Elements 16..31: high nibble 15 - j -> (7 - j) * 0.5.
  const std::vector<float> block0 = {
      -4, -3.5, -3, -2.5, -2, -1.5, -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5,
      3.5, 3, 2.5, 2, 1.5, 1, 0.5, 0, -0.5, -1, -1.5, -2, -2.5, -3, -3.5, -4};
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], block0[i]) << "element " << i;
  for (int i = 0; i < 16; ++i) EXPECT_EQ(y[32 + i], -14.0f) << "element " << 32 + i;
  for (int i = 16; i < 32; ++i) EXPECT_EQ(y[32 + i], 16.0f) << "element " << 32 + i;
}

// Q4_1: value = d * q + m, nibble order as Q4_0.
TEST(DequantizeLegacyTest, Q4_1) {
  Bytes b(20);
  put_u16(b, 0, 0x3800);  // d = 0.5
  put_u16(b, 2, 0xBC00);  // m = -1.0
  for (int j = 0; j < 16; ++j) b[4 + j] = static_cast<uint8_t>(j | (15 - j) << 4);
  const std::vector<float> y = dequantize_bytes(TensorType::Q4_1, b);
  // Element j < 16: j * 0.5 - 1; element 16 + j: (15 - j) * 0.5 - 1.
  const std::vector<float> expected = {
      -1, -0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 5.5, 6, 6.5,
      6.5, 6, 5.5, 5, 4.5, 4, 3.5, 3, 2.5, 2, 1.5, 1, 0.5, 0, -0.5, -1};
  EXPECT_EQ(y, expected);
}

// Q5_0/Q5_1 share one qs/qh pattern: qs[j] = j | (15 - j) << 4 and qh bytes
// {0x01, 0x80, 0x00, 0xFF}, i.e. the little-endian uint32 0xFF008001 with
// bits 0, 15 and 24..31 set. Bit i is the 5th bit (+16) of element i:
//   elements 0 and 15 get +16, 1..14 do not;
//   elements 16..23 (bits 16..23) do not, 24..31 do.
Bytes q5_pattern(size_t qh_offset) {
  Bytes b(qh_offset + 4 + 16);
  b[qh_offset + 0] = 0x01;
  b[qh_offset + 1] = 0x80;
  b[qh_offset + 2] = 0x00;
  b[qh_offset + 3] = 0xFF;
  for (int j = 0; j < 16; ++j) b[qh_offset + 4 + j] = static_cast<uint8_t>(j | (15 - j) << 4);
  return b;
}

// 5-bit quants of the pattern, by hand:
//   element 0: 0 | 16 = 16; 1..14: j; 15: 15 | 16 = 31;
//   16 + j, j = 0..7: high nibble 15 - j, no 5th bit -> 15 - j (15..8);
//   16 + j, j = 8..15: (15 - j) | 16 = 31 - j (23..16).
const std::vector<int> kQ5Quants = {16, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                    11, 12, 13, 14, 31, 15, 14, 13, 12, 11, 10,
                                    9,  8,  23, 22, 21, 20, 19, 18, 17, 16};

TEST(DequantizeLegacyTest, Q5_0) {
  Bytes b = q5_pattern(2);
  put_u16(b, 0, 0x3400);  // d = 0.25
  const std::vector<float> y = dequantize_bytes(TensorType::Q5_0, b);
  // Value = (q - 16) * 0.25, e.g. element 1: (1 - 16) * 0.25 = -3.75,
  // element 15: (31 - 16) * 0.25 = 3.75, element 16: (15 - 16) * 0.25 =
  // -0.25, element 24: (23 - 16) * 0.25 = 1.75, element 31: 0.
  const std::vector<float> expected = {
      0,     -3.75, -3.5,  -3.25, -3,    -2.75, -2.5,  -2.25, -2,   -1.75, -1.5,
      -1.25, -1,    -0.75, -0.5,  3.75,  -0.25, -0.5,  -0.75, -1,   -1.25, -1.5,
      -1.75, -2,    1.75,  1.5,   1.25,  1,     0.75,  0.5,   0.25, 0};
  EXPECT_EQ(y, expected);
  for (int i = 0; i < 32; ++i) EXPECT_EQ(y[i], (kQ5Quants[i] - 16) * 0.25f) << i;
}

TEST(DequantizeLegacyTest, Q5_1) {
  Bytes b = q5_pattern(4);
  put_u16(b, 0, 0x3400);  // d = 0.25
  put_u16(b, 2, 0x4900);  // m = 10: exp 18 -> 2^3, mantissa 0x100 -> 1.25
  const std::vector<float> y = dequantize_bytes(TensorType::Q5_1, b);
  // Value = q * 0.25 + 10, e.g. element 0: 16 * 0.25 + 10 = 14, element 15:
  // 31 * 0.25 + 10 = 17.75, element 24: 23 * 0.25 + 10 = 15.75.
  const std::vector<float> expected = {
      14,    10.25, 10.5, 10.75, 11,    11.25, 11.5,  11.75, 12,    12.25, 12.5,
      12.75, 13,    13.25, 13.5, 17.75, 13.75, 13.5,  13.25, 13,    12.75, 12.5,
      12.25, 12,    15.75, 15.5, 15.25, 15,    14.75, 14.5,  14.25, 14};
  EXPECT_EQ(y, expected);
}

TEST(DequantizeLegacyTest, Q8_0) {
  Bytes b(34);
  put_u16(b, 0, 0x3000);  // d = 0.125 (exp 12 -> 2^-3)
  b[2] = 0x80;            // int8 -128 -> -16
  b[3] = 0x7F;            // 127 -> 15.875
  b[4] = 0xFF;            // -1 -> -0.125
  b[5] = 0x01;            // 1 -> 0.125
  for (int j = 4; j < 32; ++j) b[2 + j] = static_cast<uint8_t>(j);  // j -> j / 8
  const std::vector<float> y = dequantize_bytes(TensorType::Q8_0, b);
  EXPECT_EQ(y[0], -16.0f);
  EXPECT_EQ(y[1], 15.875f);
  EXPECT_EQ(y[2], -0.125f);
  EXPECT_EQ(y[3], 0.125f);
  for (int j = 4; j < 32; ++j) EXPECT_EQ(y[j], j / 8.0f) << j;
}

TEST(DequantizeRowTest, ThrowsForTypesWithoutDequantizer) {
  std::vector<uint8_t> src(4096);
  std::vector<float> dst(256);
  EXPECT_THROW(dequantize_row(TensorType::Q8_K, src.data(), dst.data(), 256), pagoda::Error);
  EXPECT_THROW(dequantize_row(TensorType::IQ2_XXS, src.data(), dst.data(), 256), pagoda::Error);
  EXPECT_THROW(dequantize_row(TensorType::Q8_1, src.data(), dst.data(), 32), pagoda::Error);
  EXPECT_THROW(dequantize_row(TensorType::I32, src.data(), dst.data(), 4), pagoda::Error);
  EXPECT_THROW(dequantize_row(TensorType::MXFP4, src.data(), dst.data(), 32), pagoda::Error);
}

TEST(DequantizeRowTest, ThrowsForPartialBlocks) {
  std::vector<uint8_t> src(4096);
  std::vector<float> dst(512);
  EXPECT_THROW(dequantize_row(TensorType::Q4_0, src.data(), dst.data(), 33), pagoda::Error);
  EXPECT_THROW(dequantize_row(TensorType::Q6_K, src.data(), dst.data(), 128), pagoda::Error);
  EXPECT_THROW(dequantize_row(TensorType::F16, src.data(), dst.data(), -1), pagoda::Error);
  EXPECT_NO_THROW(dequantize_row(TensorType::Q4_0, src.data(), dst.data(), 0));
}

TEST(DequantizeRowTest, EveryDequantizableTypeIsWired) {
  // type_info's can_dequantize must agree with what dequantize_row does.
  for (uint32_t id = 0; id < 64; ++id) {
    const auto info = type_info(id);
    if (!info) continue;
    std::vector<uint8_t> src(static_cast<size_t>(info->block_bytes), 0);
    std::vector<float> dst(static_cast<size_t>(info->block_size));
    if (info->can_dequantize) {
      EXPECT_NO_THROW(dequantize_row(info->type, src.data(), dst.data(), info->block_size))
          << info->name;
    } else {
      EXPECT_THROW(dequantize_row(info->type, src.data(), dst.data(), info->block_size),
                   pagoda::Error)
          << info->name;
    }
  }
}

}  // namespace
}  // namespace pagoda::quant
