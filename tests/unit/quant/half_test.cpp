// fp16 / bf16 conversions: special values by hand, then exhaustive or dense
// sweeps against the compiler's own _Float16 where the compiler has it.
#include "quant/half.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace pagoda::quant {
namespace {

float from_bits(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

uint32_t to_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

bool is_f16_nan(uint16_t h) { return (h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0; }

TEST(Fp16Test, DecodesSpecialValues) {
  EXPECT_EQ(to_bits(fp16_to_fp32(0x0000)), 0x00000000u);  // +0
  EXPECT_EQ(to_bits(fp16_to_fp32(0x8000)), 0x80000000u);  // -0 keeps its sign
  EXPECT_EQ(fp16_to_fp32(0x3C00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0xC000), -2.0f);
  EXPECT_EQ(fp16_to_fp32(0x3555), 0.333251953125f);       // 1.0101010101b * 2^-2
  EXPECT_EQ(fp16_to_fp32(0x0001), std::ldexp(1.0f, -24));  // smallest subnormal
  EXPECT_EQ(fp16_to_fp32(0x03FF), std::ldexp(1023.0f, -24));  // largest subnormal
  EXPECT_EQ(fp16_to_fp32(0x0400), std::ldexp(1.0f, -14));  // smallest normal
  EXPECT_EQ(fp16_to_fp32(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(fp16_to_fp32(0x7BFF), 65504.0f);  // largest finite
  EXPECT_EQ(fp16_to_fp32(0xFBFF), -65504.0f);
  EXPECT_EQ(fp16_to_fp32(0x7C00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(fp16_to_fp32(0xFC00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7E00)));  // quiet NaN
  EXPECT_TRUE(std::isnan(fp16_to_fp32(0x7C01)));  // signalling NaN, payload 1
  EXPECT_TRUE(std::signbit(fp16_to_fp32(0xFE00)));
}

TEST(Fp16Test, EncodesSpecialValues) {
  EXPECT_EQ(fp32_to_fp16(0.0f), 0x0000);
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_fp16(1.0f), 0x3C00);
  EXPECT_EQ(fp32_to_fp16(-2.0f), 0xC000);
  EXPECT_EQ(fp32_to_fp16(0.5f), 0x3800);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -24)), 0x0001);
  EXPECT_EQ(fp32_to_fp16(-std::ldexp(1.0f, -24)), 0x8001);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1023.0f, -24)), 0x03FF);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -14)), 0x0400);
  EXPECT_EQ(fp32_to_fp16(65504.0f), 0x7BFF);
  EXPECT_EQ(fp32_to_fp16(-65504.0f), 0xFBFF);
  EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::infinity()), 0x7C00);
  EXPECT_EQ(fp32_to_fp16(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_EQ(fp32_to_fp16(1e10f), 0x7C00);  // overflow
  EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::max()), 0x7C00);
  EXPECT_EQ(fp32_to_fp16(1e-10f), 0x0000);  // underflow to +0
  EXPECT_EQ(fp32_to_fp16(-1e-10f), 0x8000);  // ... and to -0
  EXPECT_EQ(fp32_to_fp16(std::numeric_limits<float>::denorm_min()), 0x0000);
}

TEST(Fp16Test, NanStaysNan) {
  EXPECT_TRUE(is_f16_nan(fp32_to_fp16(std::numeric_limits<float>::quiet_NaN())));
  // Payload only in the low 13 bits that are dropped: must not become inf.
  const uint16_t h = fp32_to_fp16(from_bits(0x7F800001u));
  EXPECT_TRUE(is_f16_nan(h)) << std::hex << h;
  EXPECT_EQ(h & 0x0200, 0x0200);  // quiet bit set
  EXPECT_EQ(fp32_to_fp16(from_bits(0xFFC00000u)), 0xFE00);  // sign kept
}

TEST(Fp16Test, RoundsToNearestEven) {
  // Near 1.0 a half's ulp is 2^-10.
  const float ulp = std::ldexp(1.0f, -10);
  EXPECT_EQ(fp32_to_fp16(1.0f + ulp / 2), 0x3C00);  // tie, 0x3C00 is even
  EXPECT_EQ(fp32_to_fp16(1.0f + 3 * ulp / 2), 0x3C02);  // tie, 0x3C01 odd -> up
  EXPECT_EQ(fp32_to_fp16(1.0f + ulp / 2 + std::ldexp(1.0f, -20)), 0x3C01);  // above tie
  EXPECT_EQ(fp32_to_fp16(1.0f + ulp / 2 - std::ldexp(1.0f, -20)), 0x3C00);  // below tie
  EXPECT_EQ(fp32_to_fp16(-(1.0f + 3 * ulp / 2)), 0xBC02);
  // Mantissa carry into the exponent: 2 - 2^-11 is the tie between
  // 0x3BFF (odd, 2 - 2^-10) and 0x4000 (2.0).
  EXPECT_EQ(fp32_to_fp16(2.0f - std::ldexp(1.0f, -11)), 0x4000);
  // 65520 is the tie between 65504 (odd) and 65536 (overflow): inf.
  EXPECT_EQ(fp32_to_fp16(65519.99f), 0x7BFF);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7C00);
  // Subnormals, ulp 2^-24: 2^-25 ties 0 and 0x0001 -> 0; 3*2^-25 ties
  // 0x0001 and 0x0002 -> 0x0002.
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -25)), 0x0000);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(1.0f, -25) * 1.0001f), 0x0001);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(3.0f, -25)), 0x0002);
  EXPECT_EQ(fp32_to_fp16(std::ldexp(5.0f, -25)), 0x0002);
  // Largest subnormal + half an ulp ties with the smallest normal (even).
  EXPECT_EQ(fp32_to_fp16(std::ldexp(2047.0f, -25)), 0x0400);
}

TEST(Fp16Test, RoundTripsEveryHalf) {
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    const auto half = static_cast<uint16_t>(h);
    const float f = fp16_to_fp32(half);
    if (is_f16_nan(half)) {
      EXPECT_TRUE(std::isnan(f));
      EXPECT_TRUE(is_f16_nan(fp32_to_fp16(f)));
      continue;
    }
    ASSERT_EQ(fp32_to_fp16(f), half) << std::hex << h;
  }
}

TEST(Fp16Test, MidpointsBetweenNeighboursRoundToEven) {
  // Between every pair of adjacent finite positive halves a and a+1 the
  // exact midpoint goes to the even one, and anything off it to the nearer.
  for (uint16_t a = 0; a < 0x7BFF; ++a) {
    const double lo = fp16_to_fp32(a);
    const double hi = fp16_to_fp32(static_cast<uint16_t>(a + 1));
    const auto mid = static_cast<float>((lo + hi) / 2);  // exact in float
    const uint16_t even = (a & 1) ? static_cast<uint16_t>(a + 1) : a;
    ASSERT_EQ(fp32_to_fp16(mid), even) << std::hex << a;
    ASSERT_EQ(fp32_to_fp16(std::nextafter(mid, 0.0f)), a) << std::hex << a;
    ASSERT_EQ(fp32_to_fp16(std::nextafter(mid, 1e30f)), a + 1) << std::hex << a;
  }
}

#if defined(__FLT16_MAX__)
// The compiler's _Float16 conversions (IEEE, round to nearest even) serve as
// an independent oracle.
uint16_t compiler_fp16(float f) {
  const auto h = static_cast<_Float16>(f);
  uint16_t bits;
  std::memcpy(&bits, &h, sizeof bits);
  return bits;
}

TEST(Fp16Test, MatchesCompilerFloat16) {
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    const auto half = static_cast<uint16_t>(h);
    if (is_f16_nan(half)) continue;
    _Float16 v;
    std::memcpy(&v, &half, sizeof v);
    ASSERT_EQ(to_bits(fp16_to_fp32(half)), to_bits(static_cast<float>(v))) << std::hex << h;
  }
  // A stride through all float bit patterns (odd stride: hits every low-bit
  // pattern class), skipping NaNs whose payload handling may differ.
  for (uint64_t bits = 0; bits <= 0xFFFFFFFFull; bits += 4099) {
    const float f = from_bits(static_cast<uint32_t>(bits));
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_fp16(f), compiler_fp16(f)) << std::hex << bits;
  }
}
#endif

TEST(Bf16Test, EncodesAndRounds) {
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3F80);
  EXPECT_EQ(fp32_to_bf16(-2.0f), 0xC000);
  EXPECT_EQ(fp32_to_bf16(0.0f), 0x0000);
  EXPECT_EQ(fp32_to_bf16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::infinity()), 0x7F80);
  EXPECT_EQ(fp32_to_bf16(-std::numeric_limits<float>::infinity()), 0xFF80);
  // Ties to even on the 16 dropped bits.
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F808000u)), 0x3F80);  // tie, keep even
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F818000u)), 0x3F82);  // tie, odd -> up
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F808001u)), 0x3F81);  // above tie
  EXPECT_EQ(fp32_to_bf16(from_bits(0x3F807FFFu)), 0x3F80);  // below tie
  EXPECT_EQ(fp32_to_bf16(from_bits(0xBF818000u)), 0xBF82);
  // Subnormals are kept (not flushed): 0x00018000 ties 0x0001/0x0002.
  EXPECT_EQ(fp32_to_bf16(from_bits(0x00018000u)), 0x0002);
  EXPECT_EQ(fp32_to_bf16(from_bits(0x00010000u)), 0x0001);
  // The largest float rounds up past the largest bf16 (0x7F7F) into inf.
  EXPECT_EQ(fp32_to_bf16(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(fp32_to_bf16(from_bits(0x7F7F7FFFu)), 0x7F7F);
}

TEST(Bf16Test, NanStaysQuietNan) {
  EXPECT_EQ(fp32_to_bf16(from_bits(0x7FC00000u)), 0x7FC0);
  // Payload only in the dropped bits: truncation alone would give inf.
  EXPECT_EQ(fp32_to_bf16(from_bits(0x7F800001u)), 0x7FC0);
  EXPECT_EQ(fp32_to_bf16(from_bits(0xFF800001u)), 0xFFC0);
  // Rounding must not carry a NaN's payload into the sign bit.
  EXPECT_EQ(fp32_to_bf16(from_bits(0x7FFFFFFFu)), 0x7FFF);
}

TEST(Bf16Test, DecodesAndRoundTrips) {
  EXPECT_EQ(bf16_to_fp32(0x3F80), 1.0f);
  EXPECT_EQ(bf16_to_fp32(0x4049), 3.140625f);  // 0x40490000
  EXPECT_EQ(bf16_to_fp32(0xFF80), -std::numeric_limits<float>::infinity());
  for (uint32_t h = 0; h <= 0xFFFF; ++h) {
    const auto b = static_cast<uint16_t>(h);
    const float f = bf16_to_fp32(b);
    if (std::isnan(f)) continue;
    ASSERT_EQ(fp32_to_bf16(f), b) << std::hex << h;
  }
}

}  // namespace
}  // namespace pagoda::quant
