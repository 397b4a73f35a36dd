#pragma once
// Storage types of the paged KV cache and their row conversions. A row is
// the keys (or values) of one token in one layer: kv_dim = n_head_kv * head_dim
// elements.
#include <cstddef>
#include <cstdint>
#include <string>

#include "quant/tensor_type.h"

namespace pagoda::kv {

enum class KvType { F32, F16, Q8_0 };

// "f32", "f16", "q8_0"; pagoda::Error listing the choices otherwise.
KvType parse_kv_type(const std::string& name);
const char* kv_type_name(KvType type);
// The GGUF tensor type a row is stored as (what kernels read).
quant::TensorType storage_type(KvType type);

// Bytes of one row; Q8_0 needs kv_dim % 32 == 0 (pagoda::Error otherwise).
size_t kv_row_bytes(KvType type, int64_t kv_dim);

// Element range [begin, begin + n) of a stored row as F32. For Q8_0 the range
// may start anywhere: the enclosing 32-element blocks are decoded.
void load_kv_elements(KvType type, const void* row, int64_t begin, int64_t n, float* dst);
void store_kv_row(KvType type, const float* src, int64_t kv_dim, void* row);

}  // namespace pagoda::kv
