#include "kernels/repack.h"

#include <cstring>

#include "quant/blocks.h"

namespace pagoda::kernels {
namespace {

constexpr int kGroup = 8;

// Interleaves 8 rows block by block: the 8 fp16 scales, then `chunks`
// chunks of 4 quant bytes per row (chunk v of row r at 16 + 32v + 4r).
void pack_rows(const MatrixView& w, uint8_t* dst, size_t block_bytes, int chunks) {
  const int64_t blocks = w.cols / 32;
  const size_t group_block = kGroup * block_bytes;
  for (int64_t g = 0; g < w.rows / kGroup; ++g) {
    for (int64_t i = 0; i < blocks; ++i) {
      uint8_t* out = dst + static_cast<size_t>(g * blocks + i) * group_block;
      for (int r = 0; r < kGroup; ++r) {
        const uint8_t* src = static_cast<const uint8_t*>(w.row(g * kGroup + r)) + static_cast<size_t>(i) * block_bytes;
        std::memcpy(out + 2 * r, src, 2);  // d
        for (int v = 0; v < chunks; ++v) std::memcpy(out + 16 + 32 * v + 4 * r, src + 2 + 4 * v, 4);
      }
    }
  }
}

}  // namespace

bool has_packed_layout(quant::TensorType type) {
  return type == quant::TensorType::Q4_0 || type == quant::TensorType::Q8_0;
}

bool PackedWeights::pack(MatrixView& w) {
  if (!has_packed_layout(w.type) || w.rows < kGroup) return false;
  const int64_t rows = w.rows / kGroup * kGroup;
  const size_t bytes = static_cast<size_t>(rows) * w.row_bytes;
  std::unique_ptr<uint8_t[]> buffer(new uint8_t[bytes]);
  if (w.type == quant::TensorType::Q4_0) {
    pack_rows(w, buffer.get(), sizeof(quant::BlockQ4_0), 4);  // 16 bytes of nibbles
  } else {
    pack_rows(w, buffer.get(), sizeof(quant::BlockQ8_0), 8);  // 32 int8
  }
  w.packed = buffer.get();
  w.packed_rows = rows;
  bytes_ += bytes;
  buffers_.push_back(std::move(buffer));
  return true;
}

}  // namespace pagoda::kernels
