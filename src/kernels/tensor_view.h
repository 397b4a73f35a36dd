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
  // Optional copy of the first `packed_rows` rows (a multiple of 8) with the
  // blocks of each 8 rows interleaved (see kernels/repack.h); the kernels
  // use it where they have a packed variant, else `data`.
  const void* packed = nullptr;
  int64_t packed_rows = 0;
  size_t packed_group_bytes = 0;  // bytes of one group of 8 packed rows

  const void* row(int64_t r) const {
    return static_cast<const uint8_t*>(data) + static_cast<size_t>(r) * row_bytes;
  }
};

}  // namespace pagoda::kernels
