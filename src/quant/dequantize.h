#pragma once
// Scalar reference (de)quantization of GGUF block formats, byte-compatible
// with the GGUF ecosystem. Fast SIMD paths live in kernels/ and are checked
// against these.
#include <cstdint>

#include "quant/tensor_type.h"

namespace pagoda::quant {

// dst[0..n) = decoded values of n elements stored at src in `type`.
// n must be a multiple of the block size. Throws pagoda::Error for a type
// without a dequantizer (type_info(type).can_dequantize == false).
void dequantize_row(TensorType type, const void* src, float* dst, int64_t n);

// dst[0..n) = elements [begin, begin + n) of a row stored at src, for the
// types whose blocks can be read from any element: F32, F16 and Q8_0 (the
// KV cache's storage types; the enclosing Q8_0 blocks are decoded). Throws
// for other types.
void dequantize_elements(TensorType type, const void* src, int64_t begin, int64_t n, float* dst);

// dst receives row_bytes(type, n) bytes encoding src[0..n). Supported:
// F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 (reference round-to-nearest,
// as the GGUF ecosystem's reference quantizers) and Q2_K..Q6_K (a weighted
// search for scales, quantize_kquants.cpp). Throws for other types.
void quantize_row(TensorType type, const float* src, void* dst, int64_t n);
// As quantize_row; importance[0..n) (mean squared activation per column,
// from an importance matrix) weights the K-quants' rounding error. The
// legacy types ignore it.
void quantize_row_weighted(TensorType type, const float* src, void* dst, int64_t n, const float* importance);
bool can_quantize(TensorType type);

}  // namespace pagoda::quant
