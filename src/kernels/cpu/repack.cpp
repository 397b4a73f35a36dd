#include "kernels/repack.h"

#include <cstring>

#include "quant/blocks.h"

namespace pagoda::kernels {
namespace {

constexpr int kGroup = 8;

void pack_q4_0(const MatrixView& w, uint8_t* dst) {
  const int64_t blocks = w.cols / 32;
  constexpr size_t kGroupBlock = kGroup * sizeof(quant::BlockQ4_0);  // 144
  for (int64_t g = 0; g < w.rows / kGroup; ++g) {
    for (int64_t i = 0; i < blocks; ++i) {
      uint8_t* out = dst + (static_cast<size_t>(g * blocks + i)) * kGroupBlock;
      for (int r = 0; r < kGroup; ++r) {
        const uint8_t* src = static_cast<const uint8_t*>(w.row(g * kGroup + r)) + i * sizeof(quant::BlockQ4_0);
        std::memcpy(out + 2 * r, src, 2);  // d
        for (int v = 0; v < 4; ++v) std::memcpy(out + 16 + 32 * v + 4 * r, src + 2 + 4 * v, 4);
      }
    }
  }
}

void pack_q8_0(const MatrixView& w, uint8_t* dst) {
  const int64_t blocks = w.cols / 32;
  constexpr size_t kGroupBlock = kGroup * sizeof(quant::BlockQ8_0);  // 272
  for (int64_t g = 0; g < w.rows / kGroup; ++g) {
    for (int64_t i = 0; i < blocks; ++i) {
      uint8_t* out = dst + (static_cast<size_t>(g * blocks + i)) * kGroupBlock;
      for (int r = 0; r < kGroup; ++r) {
        const uint8_t* src = static_cast<const uint8_t*>(w.row(g * kGroup + r)) + i * sizeof(quant::BlockQ8_0);
        std::memcpy(out + 2 * r, src, 2);  // d
        for (int v = 0; v < 8; ++v) std::memcpy(out + 16 + 32 * v + 4 * r, src + 2 + 4 * v, 4);
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
    pack_q4_0(w, buffer.get());
  } else {
    pack_q8_0(w, buffer.get());
  }
  w.packed = buffer.get();
  w.packed_rows = rows;
  bytes_ += bytes;
  buffers_.push_back(std::move(buffer));
  return true;
}

}  // namespace pagoda::kernels
