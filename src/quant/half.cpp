#include "quant/half.h"

namespace pagoda::quant {
namespace {

uint32_t float_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

float bits_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// IEEE binary16: 1 sign, 5 exponent (bias 15), 10 mantissa bits.
// IEEE binary32: 1 sign, 8 exponent (bias 127), 23 mantissa bits.
constexpr uint32_t kF32ExpMask = 0x7F800000u;
constexpr uint32_t kF32AbsMask = 0x7FFFFFFFu;
constexpr int kExpBiasDelta = 127 - 15;  // 112: rebias half -> float
constexpr int kMantShift = 23 - 10;      // 13: mantissa bits dropped

}  // namespace

float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1Fu;
  uint32_t mant = h & 0x3FFu;
  if (exp == 0x1F) {
    // Inf (mant 0) or NaN; the payload moves up, so a quiet NaN stays quiet.
    return bits_float(sign | kF32ExpMask | (mant << kMantShift));
  }
  if (exp != 0) {
    return bits_float(sign | ((exp + kExpBiasDelta) << 23) | (mant << kMantShift));
  }
  if (mant == 0) return bits_float(sign);  // +-0
  // Subnormal half: mant * 2^-24. Every one is a normal float: shift the
  // mantissa up until its leading 1 reaches the implicit-bit position (bit
  // 10), lowering the exponent by one per step from that of 2^-14.
  int e = -14;
  while ((mant & 0x400u) == 0) {
    mant <<= 1;
    --e;
  }
  mant &= 0x3FFu;
  return bits_float(sign | (static_cast<uint32_t>(e + 127) << 23) | (mant << kMantShift));
}

uint16_t fp32_to_fp16(float f) {
  const uint32_t bits = float_bits(f);
  const auto sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs = bits & kF32AbsMask;

  if (abs > kF32ExpMask) {
    // NaN: keep the top payload bits and force the quiet bit, so that a
    // signalling NaN whose payload sits only in the low bits stays a NaN.
    return static_cast<uint16_t>(sign | 0x7E00u | ((abs >> kMantShift) & 0x3FFu));
  }
  // 65520 = 0x477FF000 is halfway between 65504 (largest half, odd
  // mantissa) and 65536; ties-to-even rounds it and all above to inf.
  if (abs >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00u);

  const uint32_t exp = abs >> 23;
  if (exp > kExpBiasDelta) {
    // Normal half (unbiased exponent >= -14). Rebias, drop 13 mantissa bits
    // and round to nearest, ties to even; a carry out of the mantissa bumps
    // the exponent, which is the correct result.
    uint32_t h = (abs - (static_cast<uint32_t>(kExpBiasDelta) << 23)) >> kMantShift;
    const uint32_t rest = abs & 0x1FFFu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  // Below 2^-25 (exponent field < 102) everything rounds to zero; exactly
  // 2^-25 is a tie between 0 and the smallest subnormal and goes to 0 (even).
  if (exp < 102) return sign;
  // Subnormal half: value = m * 2^(exp-150) with m the 24-bit significand;
  // in units of 2^-24 that is m >> (126 - exp), shift in [14, 24].
  const uint32_t m = (abs & 0x7FFFFFu) | 0x800000u;
  const uint32_t shift = 126 - exp;
  uint32_t h = m >> shift;
  const uint32_t rest = m & ((1u << shift) - 1);
  const uint32_t half = 1u << (shift - 1);
  // Rounding the largest subnormal up gives 0x400, the smallest normal.
  if (rest > half || (rest == half && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

uint16_t fp32_to_bf16(float f) {
  const uint32_t bits = float_bits(f);
  if ((bits & kF32AbsMask) > kF32ExpMask) {
    // NaN: truncate and force the quiet bit (bit 6 of the bf16), so that a
    // NaN with payload only in the dropped bits cannot turn into inf.
    return static_cast<uint16_t>((bits >> 16) | 0x40u);
  }
  // Round to nearest, ties to even: add 0x7FFF plus the lowest kept bit and
  // truncate. Overflow past the largest finite value carries into inf.
  return static_cast<uint16_t>((bits + 0x7FFFu + ((bits >> 16) & 1u)) >> 16);
}

}  // namespace pagoda::quant
