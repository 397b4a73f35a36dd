#pragma once
// Internal: the per-type scalar reference rows behind dequantize_row and
// quantize_row (quant/dequantize.h). Each takes a whole number of blocks;
// src/dst point at packed blocks with no alignment guarantee.
#include <cstdint>
#include <cstring>

namespace pagoda::quant::detail {

// Copies block i of a packed row into a local struct: rows come from mmap'd
// files with no alignment guarantee, and memcpy keeps that well-defined.
template <typename Block>
Block load_block(const uint8_t* src, int64_t i) {
  Block b;
  std::memcpy(&b, src + i * static_cast<int64_t>(sizeof(Block)), sizeof(Block));
  return b;
}

template <typename Block>
void store_block(const Block& b, uint8_t* dst, int64_t i) {
  std::memcpy(dst + i * static_cast<int64_t>(sizeof(Block)), &b, sizeof(Block));
}

// Legacy 32-element formats (dequantize_legacy.cpp).
void dequantize_q4_0(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q4_1(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q5_0(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q5_1(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q8_0(const uint8_t* src, float* dst, int64_t blocks);

// K-quants, 256-element super-blocks (dequantize_kquants.cpp).
void dequantize_q2_k(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q3_k(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q4_k(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q5_k(const uint8_t* src, float* dst, int64_t blocks);
void dequantize_q6_k(const uint8_t* src, float* dst, int64_t blocks);

// Reference round-to-nearest quantizers (quantize_legacy.cpp).
void quantize_q4_0(const float* src, uint8_t* dst, int64_t blocks);
void quantize_q4_1(const float* src, uint8_t* dst, int64_t blocks);
void quantize_q5_0(const float* src, uint8_t* dst, int64_t blocks);
void quantize_q5_1(const float* src, uint8_t* dst, int64_t blocks);
void quantize_q8_0(const float* src, uint8_t* dst, int64_t blocks);

// K-quant quantizers (quantize_kquants.cpp); importance: one weight per
// element (an importance matrix's row, repeated per row), or null.
void quantize_q2_k(const float* src, uint8_t* dst, int64_t blocks, const float* importance);
void quantize_q3_k(const float* src, uint8_t* dst, int64_t blocks, const float* importance);
void quantize_q4_k(const float* src, uint8_t* dst, int64_t blocks, const float* importance);
void quantize_q5_k(const float* src, uint8_t* dst, int64_t blocks, const float* importance);
void quantize_q6_k(const float* src, uint8_t* dst, int64_t blocks, const float* importance);

}  // namespace pagoda::quant::detail
