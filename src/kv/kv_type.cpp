#include "kv/kv_type.h"

#include "core/error.h"
#include "quant/dequantize.h"

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

quant::TensorType storage_type(KvType type) {
  switch (type) {
    case KvType::F32: return quant::TensorType::F32;
    case KvType::F16: return quant::TensorType::F16;
    case KvType::Q8_0: return quant::TensorType::Q8_0;
  }
  return quant::TensorType::F32;
}

size_t kv_row_bytes(KvType type, int64_t kv_dim) {
  if (type == KvType::Q8_0 && kv_dim % 32 != 0) {
    fail("KV cache type q8_0 needs n_head_kv * head_dim to be a multiple of 32 (it is ", kv_dim, ")");
  }
  return quant::row_bytes(storage_type(type), kv_dim);
}

void load_kv_elements(KvType type, const void* row, int64_t begin, int64_t n, float* dst) {
  quant::dequantize_elements(storage_type(type), row, begin, n, dst);
}

void store_kv_row(KvType type, const float* src, int64_t kv_dim, void* row) {
  quant::quantize_row(storage_type(type), src, row, kv_dim);
}

}  // namespace pagoda::kv
