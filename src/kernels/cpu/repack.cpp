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
        const uint8_t* src =
            static_cast<const uint8_t*>(w.row(g * kGroup + r)) + static_cast<size_t>(i) * block_bytes;
        std::memcpy(out + 2 * r, src, 2);  // d
        for (int v = 0; v < chunks; ++v) std::memcpy(out + 16 + 32 * v + 4 * r, src + 2 + 4 * v, 4);
      }
    }
  }
}

// Q4_Kx8 (kernels/repack.h): per super-block, the 8 rows' scales, their
// 6-bit sub-block scales and mins unpacked, and the nibbles interleaved in
// 4-byte chunks.
void pack_q4_k(const MatrixView& w, uint8_t* dst) {
  const int64_t blocks = w.cols / 256;
  for (int64_t g = 0; g < w.rows / kGroup; ++g) {
    for (int64_t i = 0; i < blocks; ++i) {
      uint8_t* out = dst + static_cast<size_t>(g * blocks + i) * kQ4KGroupBlockBytes;
      auto* d = reinterpret_cast<uint16_t*>(out);
      auto* mins = reinterpret_cast<int16_t*>(out + 96);
      for (int r = 0; r < kGroup; ++r) {
        const auto& b = reinterpret_cast<const quant::BlockQ4_K*>(w.row(g * kGroup + r))[i];
        d[r] = b.d;
        d[8 + r] = b.dmin;
        for (int j = 0; j < 8; ++j) {
          const quant::ScaleMin sm = quant::scale_min_k4(b.scales, j);
          out[32 + 8 * j + r] = static_cast<uint8_t>(sm.scale);
          mins[16 * (j / 2) + 2 * r + j % 2] = static_cast<int16_t>(sm.min);
        }
        for (int k = 0; k < 4; ++k) {
          for (int v = 0; v < 8; ++v)
            std::memcpy(out + 224 + 256 * k + 32 * v + 4 * r, b.qs + 32 * k + 4 * v, 4);
        }
      }
    }
  }
}

}  // namespace

bool has_packed_layout(quant::TensorType type) {
  return type == quant::TensorType::Q4_0 || type == quant::TensorType::Q8_0 ||
         type == quant::TensorType::Q4_K;
}

bool PackedWeights::pack(MatrixView& w) {
  if (!has_packed_layout(w.type) || w.rows < kGroup) return false;
  const int64_t rows = w.rows / kGroup * kGroup;
  const size_t group_bytes = w.type == quant::TensorType::Q4_K
                                 ? static_cast<size_t>(w.cols / 256) * kQ4KGroupBlockBytes
                                 : kGroup * w.row_bytes;
  const size_t bytes = static_cast<size_t>(rows / kGroup) * group_bytes;
  HugeBuffer buffer(bytes, /*zero=*/false);  // every byte is written below
  if (w.type == quant::TensorType::Q4_0) {
    pack_rows(w, buffer.data(), sizeof(quant::BlockQ4_0), 4);  // 16 bytes of nibbles
  } else if (w.type == quant::TensorType::Q8_0) {
    pack_rows(w, buffer.data(), sizeof(quant::BlockQ8_0), 8);  // 32 int8
  } else {
    pack_q4_k(w, buffer.data());
  }
  w.packed = buffer.data();
  w.packed_rows = rows;
  w.packed_group_bytes = group_bytes;
  bytes_ += bytes;
  buffers_.push_back(std::move(buffer));
  return true;
}

}  // namespace pagoda::kernels
