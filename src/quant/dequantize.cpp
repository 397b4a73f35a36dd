// Entry points of the scalar reference (de)quantization: checks, then
// dispatch to the per-family rows (reference_rows.h). The float formats are
// handled here.
#include "quant/dequantize.h"

#include <cstring>

#include "core/error.h"
#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/reference_rows.h"

namespace pagoda::quant {
namespace {

// n must be a whole, non-negative number of blocks. A bad n can come from a
// corrupt file's shape, so it is an Error rather than an assert.
int64_t block_count(const TypeInfo& info, int64_t n, const char* what) {
  if (n < 0 || n % info.block_size != 0) {
    fail(what, ": ", n, " elements is not a multiple of the ", info.name, " block size ",
         info.block_size);
  }
  return n / info.block_size;
}

void dequantize_f16(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, src + 2 * i, sizeof h);
    dst[i] = fp16_to_fp32(h);
  }
}

void dequantize_bf16(const uint8_t* src, float* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, src + 2 * i, sizeof h);
    dst[i] = bf16_to_fp32(h);
  }
}

void quantize_f16(const float* src, uint8_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = fp32_to_fp16(src[i]);
    std::memcpy(dst + 2 * i, &h, sizeof h);
  }
}

void quantize_bf16(const float* src, uint8_t* dst, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const uint16_t h = fp32_to_bf16(src[i]);
    std::memcpy(dst + 2 * i, &h, sizeof h);
  }
}

}  // namespace

void dequantize_row(TensorType type, const void* src, float* dst, int64_t n) {
  const TypeInfo& info = type_info(type);
  if (!info.can_dequantize) fail("dequantize_row: no dequantizer for tensor type ", info.name);
  const int64_t blocks = block_count(info, n, "dequantize_row");
  const auto* in = static_cast<const uint8_t*>(src);
  switch (type) {
    case TensorType::F32: std::memcpy(dst, in, static_cast<size_t>(n) * sizeof(float)); return;
    case TensorType::F16: dequantize_f16(in, dst, n); return;
    case TensorType::BF16: dequantize_bf16(in, dst, n); return;
    case TensorType::Q4_0: detail::dequantize_q4_0(in, dst, blocks); return;
    case TensorType::Q4_1: detail::dequantize_q4_1(in, dst, blocks); return;
    case TensorType::Q5_0: detail::dequantize_q5_0(in, dst, blocks); return;
    case TensorType::Q5_1: detail::dequantize_q5_1(in, dst, blocks); return;
    case TensorType::Q8_0: detail::dequantize_q8_0(in, dst, blocks); return;
    case TensorType::Q2_K: detail::dequantize_q2_k(in, dst, blocks); return;
    case TensorType::Q3_K: detail::dequantize_q3_k(in, dst, blocks); return;
    case TensorType::Q4_K: detail::dequantize_q4_k(in, dst, blocks); return;
    case TensorType::Q5_K: detail::dequantize_q5_k(in, dst, blocks); return;
    case TensorType::Q6_K: detail::dequantize_q6_k(in, dst, blocks); return;
    default: break;
  }
  // type_info says it can be dequantized but no row is wired up here.
  fail("dequantize_row: tensor type ", info.name, " is marked dequantizable but has no dequantizer");
}

bool can_quantize(TensorType type) {
  switch (type) {
    case TensorType::F32:
    case TensorType::F16:
    case TensorType::BF16:
    case TensorType::Q4_0:
    case TensorType::Q4_1:
    case TensorType::Q5_0:
    case TensorType::Q5_1:
    case TensorType::Q8_0:
    case TensorType::Q2_K:
    case TensorType::Q3_K:
    case TensorType::Q4_K:
    case TensorType::Q5_K:
    case TensorType::Q6_K:
      return true;
    default:
      return false;
  }
}

void quantize_row(TensorType type, const float* src, void* dst, int64_t n) {
  quantize_row_weighted(type, src, dst, n, nullptr);
}

void quantize_row_weighted(TensorType type, const float* src, void* dst, int64_t n, const float* importance) {
  const TypeInfo& info = type_info(type);
  if (!can_quantize(type)) fail("quantize_row: no quantizer for tensor type ", info.name);
  const int64_t blocks = block_count(info, n, "quantize_row");
  auto* out = static_cast<uint8_t*>(dst);
  switch (type) {
    case TensorType::F32: std::memcpy(out, src, static_cast<size_t>(n) * sizeof(float)); return;
    case TensorType::F16: quantize_f16(src, out, n); return;
    case TensorType::BF16: quantize_bf16(src, out, n); return;
    case TensorType::Q4_0: detail::quantize_q4_0(src, out, blocks); return;
    case TensorType::Q4_1: detail::quantize_q4_1(src, out, blocks); return;
    case TensorType::Q5_0: detail::quantize_q5_0(src, out, blocks); return;
    case TensorType::Q5_1: detail::quantize_q5_1(src, out, blocks); return;
    case TensorType::Q8_0: detail::quantize_q8_0(src, out, blocks); return;
    case TensorType::Q2_K: detail::quantize_q2_k(src, out, blocks, importance); return;
    case TensorType::Q3_K: detail::quantize_q3_k(src, out, blocks, importance); return;
    case TensorType::Q4_K: detail::quantize_q4_k(src, out, blocks, importance); return;
    case TensorType::Q5_K: detail::quantize_q5_k(src, out, blocks, importance); return;
    case TensorType::Q6_K: detail::quantize_q6_k(src, out, blocks, importance); return;
    default: break;
  }
  fail("quantize_row: tensor type ", info.name, " has no quantizer");  // unreachable
}

void dequantize_elements(TensorType type, const void* src, int64_t begin, int64_t n, float* dst) {
  const auto* in = static_cast<const uint8_t*>(src);
  switch (type) {
    case TensorType::F32: std::memcpy(dst, in + begin * 4, static_cast<size_t>(n) * sizeof(float)); return;
    case TensorType::F16: dequantize_f16(in + begin * 2, dst, n); return;
    case TensorType::Q8_0: {
      const auto* blocks = reinterpret_cast<const BlockQ8_0*>(in);
      for (int64_t i = 0; i < n; ++i) {
        const BlockQ8_0& b = blocks[(begin + i) / kQK8_0];
        dst[i] = fp16_to_fp32(b.d) * static_cast<float>(b.qs[(begin + i) % kQK8_0]);
      }
      return;
    }
    default:
      fail("element access is not supported for tensor type ", type_info(type).name);
  }
}

}  // namespace pagoda::quant
