#pragma once
// Packed block layouts of the GGUF quantized types, byte for byte as they are
// stored in GGUF files (little-endian). Every fp16 field is kept as its raw
// IEEE-half bits (uint16_t); decode it with fp16_to_fp32 from quant/half.h.
//
// Rows of blocks come straight from mmap'd files at offsets that are only
// guaranteed to be multiples of the block size in bytes (18, 110, ...), so
// code must not assume a block is aligned for uint16_t/float: either memcpy a
// block into a local struct (the reference code does) or load fields with
// memcpy / unaligned SIMD loads.
//
// Naming: BlockQ4_0 is ggml's block_q4_0, and so on.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace pagoda::quant {

// Elements per block of the "legacy" 32-element formats.
inline constexpr int kQK4_0 = 32;
inline constexpr int kQK4_1 = 32;
inline constexpr int kQK5_0 = 32;
inline constexpr int kQK5_1 = 32;
inline constexpr int kQK8_0 = 32;
inline constexpr int kQK8_1 = 32;
// Elements per super-block of the K-quants.
inline constexpr int kQK_K = 256;
// Bytes of the packed 6-bit scales/mins of Q3_K (16 scales) and of
// Q4_K/Q5_K (8 scales + 8 mins).
inline constexpr int kKScaleSize = 12;

// Q4_0: x = d * (q - 8), q in 0..15.
// qs[j] low nibble is element j, high nibble is element j + 16 (j < 16).
struct BlockQ4_0 {
  uint16_t d;              // fp16 scale
  uint8_t qs[kQK4_0 / 2];  // 4-bit quants
};

// Q4_1: x = d * q + m, q in 0..15. Nibble order as Q4_0.
struct BlockQ4_1 {
  uint16_t d;              // fp16 scale
  uint16_t m;              // fp16 minimum (offset)
  uint8_t qs[kQK4_1 / 2];  // 4-bit quants
};

// Q5_0: x = d * (q - 16), q in 0..31. Low 4 bits in qs (nibble order as
// Q4_0); the 5th bit of element i is bit i of qh read as a little-endian
// uint32 (so bits 0..15 belong to elements 0..15, bits 16..31 to 16..31).
struct BlockQ5_0 {
  uint16_t d;              // fp16 scale
  uint8_t qh[4];           // 5th bits, little-endian uint32
  uint8_t qs[kQK5_0 / 2];  // low 4 bits
};

// Q5_1: x = d * q + m, q in 0..31. Bit layout as Q5_0.
struct BlockQ5_1 {
  uint16_t d;              // fp16 scale
  uint16_t m;              // fp16 minimum
  uint8_t qh[4];           // 5th bits, little-endian uint32
  uint8_t qs[kQK5_1 / 2];  // low 4 bits
};

// Q8_0: x = d * q, q in -128..127 (the quantizer uses -127..127).
struct BlockQ8_0 {
  uint16_t d;         // fp16 scale
  int8_t qs[kQK8_0];  // quants, element order
};

// Q8_1: as Q8_0 plus s = d * sum(qs), precomputed for the dot products of
// Q4_1/Q5_1 weights with activations (the min term needs sum(x)).
struct BlockQ8_1 {
  uint16_t d;         // fp16 scale
  uint16_t s;         // fp16 d * sum(qs)
  int8_t qs[kQK8_1];  // quants, element order
};

// Q2_K: 16 sub-blocks of 16 elements; x = d*sc*q - dmin*m, q in 0..3.
// scales[i] = sc (low nibble) | m (high nibble) of sub-block i.
// Element e: half h = e/128, r = e%128, shift 2*(r/32), l = r%32;
// q = (qs[32*h + l] >> shift) & 3; sub-block e/16.
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];  // 4-bit scale | 4-bit min << 4
  uint8_t qs[kQK_K / 4];       // 2-bit quants
  uint16_t d;                  // fp16 super-block scale of the scales
  uint16_t dmin;               // fp16 super-block scale of the mins
};

// Q3_K: 16 sub-blocks of 16 elements; x = d*(sc-32)*(q - (hbit ? 0 : 4)),
// q in 0..3 from qs as Q2_K, hbit = bit (4*h + r/32) of hmask[l].
// The 16 6-bit scales sc (0..63, used as sc-32) are packed in 12 bytes:
//   low 4 bits of sc[i]: scales[i] & 0xF for i < 8, scales[i-8] >> 4 else;
//   high 2 bits of sc[i]: (scales[8 + i%4] >> (2*(i/4))) & 3.
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];     // high (3rd) bits
  uint8_t qs[kQK_K / 4];        // low 2 bits
  uint8_t scales[kKScaleSize];  // 6-bit scales, packed as above
  uint16_t d;                   // fp16 super-block scale
};

// Q4_K: 8 sub-blocks of 32 elements; x = d*sc*q - dmin*m, q in 0..15.
// qs[32*k + l]: low nibble is element 64*k + l (sub-block 2k), high nibble
// element 64*k + 32 + l (sub-block 2k+1). The 8 6-bit scales sc and mins m
// are packed in 12 bytes:
//   j < 4: sc = scales[j] & 63,             m = scales[j+4] & 63
//   j >= 4: sc = (scales[j+4] & 0xF) | (scales[j-4] >> 6) << 4,
//           m  = (scales[j+4] >> 4)  | (scales[j]   >> 6) << 4
struct BlockQ4_K {
  uint16_t d;                   // fp16 super-block scale of the scales
  uint16_t dmin;                // fp16 super-block scale of the mins
  uint8_t scales[kKScaleSize];  // 6-bit scales and mins, packed as above
  uint8_t qs[kQK_K / 2];        // 4-bit quants
};

// The 6-bit scale and min of sub-block j (0..7) of a Q4_K/Q5_K block's
// packed `scales`. Out of line on purpose: per-ISA kernel files call it, and
// an inline copy compiled with their flags could be the one the linker keeps.
struct ScaleMin {
  int scale;
  int min;
};
ScaleMin scale_min_k4(const uint8_t (&scales)[kKScaleSize], int j);

// Q5_K: as Q4_K with a 5th bit: q = nibble | 16 * ((qh[e%32] >> (e/32)) & 1),
// q in 0..31.
struct BlockQ5_K {
  uint16_t d;                   // fp16 super-block scale of the scales
  uint16_t dmin;                // fp16 super-block scale of the mins
  uint8_t scales[kKScaleSize];  // 6-bit scales and mins, as Q4_K
  uint8_t qh[kQK_K / 8];        // 5th bits
  uint8_t qs[kQK_K / 2];        // low 4 bits
};

// Q6_K: 16 sub-blocks of 16 elements; x = d * scales[e/16] * (q - 32),
// q in 0..63. Element e: half h = e/128, r = e%128, quarter t = r/32,
// l = r%32; low 4 bits from ql[64*h + 32*(t&1) + l] (low nibble for t < 2,
// high nibble for t >= 2); high 2 bits (qh[32*h + l] >> (2*t)) & 3.
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];      // low 4 bits
  uint8_t qh[kQK_K / 4];      // high 2 bits
  int8_t scales[kQK_K / 16];  // signed 8-bit sub-block scales
  uint16_t d;                 // fp16 super-block scale
};

// Q8_K: activations for K-quant dot products. d is a float (not fp16);
// bsums[i] = sum of qs[16*i .. 16*i+15].
struct BlockQ8_K {
  float d;                    // fp32 scale
  int8_t qs[kQK_K];           // quants
  int16_t bsums[kQK_K / 16];  // sums of groups of 16 quants
};

// Multi-byte fields (fp16 bits, Q8_K's float and sums) are read in host
// order; GGUF stores them little-endian.
static_assert(std::endian::native == std::endian::little, "big-endian hosts need byte swaps");

// The sizes are those of the GGUF format; a mismatch means padding crept in.
static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// Field offsets that the SIMD kernels rely on.
static_assert(offsetof(BlockQ5_0, qs) == 6);
static_assert(offsetof(BlockQ5_1, qs) == 8);
static_assert(offsetof(BlockQ2_K, d) == 80);
static_assert(offsetof(BlockQ3_K, scales) == 96);
static_assert(offsetof(BlockQ3_K, d) == 108);
static_assert(offsetof(BlockQ4_K, qs) == 16);
static_assert(offsetof(BlockQ5_K, qh) == 16);
static_assert(offsetof(BlockQ5_K, qs) == 48);
static_assert(offsetof(BlockQ6_K, scales) == 192);
static_assert(offsetof(BlockQ6_K, d) == 208);
static_assert(offsetof(BlockQ8_K, bsums) == 260);

static_assert(std::is_trivially_copyable_v<BlockQ4_K>);
static_assert(std::is_standard_layout_v<BlockQ4_K>);

}  // namespace pagoda::quant
