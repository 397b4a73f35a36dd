#include "kv/kv_type.h"

#include <algorithm>

#include "core/error.h"
#include "quant/blocks.h"
#include "quant/dequantize.h"
#include "quant/half.h"
#include "quant/tensor_type.h"

namespace pagoda::kv {

KvType parse_kv_type(const std::string& name) {
  if (name == "f32") return KvType::F32;
  if (name == "f16") return KvType::F16;
  if (name == "q8_0") return KvType::Q8_0;
  fail("unknown KV cache type '", name, "' (choose f16, f32 or q8_0)");
}

const char* kv_type_name(KvType type) {
  switch (type) {
    case KvType::F32: return "f32";
    case KvType::F16: return "f16";
    case KvType::Q8_0: return "q8_0";
  }
  return "?";
}

size_t kv_row_bytes(KvType type, int64_t kv_dim) {
  switch (type) {
    case KvType::F32: return static_cast<size_t>(kv_dim) * 4;
    case KvType::F16: return static_cast<size_t>(kv_dim) * 2;
    case KvType::Q8_0:
      if (kv_dim % 32 != 0) fail("KV cache type q8_0 needs n_head_kv * head_dim to be a multiple of 32 (it is ", kv_dim, ")");
      return static_cast<size_t>(kv_dim / 32) * sizeof(quant::BlockQ8_0);
  }
  return 0;
}

void load_kv_elements(KvType type, const void* row, int64_t begin, int64_t n, float* dst) {
  switch (type) {
    case KvType::F32:
      std::copy_n(static_cast<const float*>(row) + begin, n, dst);
      return;
    case KvType::F16: {
      const auto* h = static_cast<const uint16_t*>(row) + begin;
      for (int64_t i = 0; i < n; ++i) dst[i] = quant::fp16_to_fp32(h[i]);
      return;
    }
    case KvType::Q8_0: {
      const auto* blocks = static_cast<const quant::BlockQ8_0*>(row);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t e = begin + i;
        const quant::BlockQ8_0& b = blocks[e / 32];
        dst[i] = quant::fp16_to_fp32(b.d) * static_cast<float>(b.qs[e % 32]);
      }
      return;
    }
  }
}

void store_kv_row(KvType type, const float* src, int64_t kv_dim, void* row) {
  switch (type) {
    case KvType::F32:
      std::copy_n(src, kv_dim, static_cast<float*>(row));
      return;
    case KvType::F16: {
      auto* h = static_cast<uint16_t*>(row);
      for (int64_t i = 0; i < kv_dim; ++i) h[i] = quant::fp32_to_fp16(src[i]);
      return;
    }
    case KvType::Q8_0:
      quant::quantize_row(quant::TensorType::Q8_0, src, row, kv_dim);
      return;
  }
}

}  // namespace pagoda::kv
