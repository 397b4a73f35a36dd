#pragma once
// A read-only view of a 2-D weight matrix stored in any GGUF type, as the
// kernels see it: `rows` rows of `cols` elements, each row `row_bytes` long.
#include <cstddef>
#include <cstdint>

#include "quant/tensor_type.h"

namespace pagoda::kernels {

struct MatrixView {
  quant::TensorType type = quant::TensorType::F32;
  const void* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  size_t row_bytes = 0;

  const void* row(int64_t r) const { return static_cast<const uint8_t*>(data) + static_cast<size_t>(r) * row_bytes; }
};

}  // namespace pagoda::kernels
