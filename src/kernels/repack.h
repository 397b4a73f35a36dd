#pragma once
// Load-time rearrangement of weights for the CPU kernels. Groups of 8 rows
// are interleaved block by block, so one activation load feeds 8 rows and
// the 8 row results land in one vector register (no horizontal sums).
//
// Q4_0x8 layout, per group of 8 rows and per 32-element block i:
//   uint16_t d[8];          the 8 rows' fp16 scales
//   uint8_t  qs[4][8][4];   chunk v, row r: bytes 4v..4v+3 of row r's qs
// so a 32-byte load of chunk v holds, for each row, the nibbles of elements
// 4v..4v+3 (low) and 16+4v..16+4v+3 (high). 144 bytes per group-block, the
// same as 8 plain blocks.
//
// Q8_0x8 layout, per group of 8 rows and per block i:
//   uint16_t d[8];
//   int8_t   qs[8][8][4];   chunk v (0..7), row r: elements 4v..4v+3 of row r
// 272 bytes per group-block.
//
// Q4_Kx8 layout, per group of 8 rows and per 256-element super-block:
//   uint16_t d[8], dmin[8];      fp16 super-block scales
//   uint8_t  scales[8][8];       sub-block s, row r: 6-bit scale
//   int16_t  mins[4][8][2];      sub-blocks 2p and 2p+1 of row r: 6-bit mins
//   uint8_t  qs[4][8][8][4];     pair k, chunk v, row r: bytes 4v..4v+3 of
//                                the row's qs[32k..32k+31] (low nibbles:
//                                sub-block 2k, high: 2k+1)
// 1248 bytes per group-block (8 plain blocks are 1152): the unpacked scales
// save every token's decode from unpacking them again.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/huge_buffer.h"
#include "kernels/tensor_view.h"

namespace pagoda::kernels {

// Owns packed copies; keep it alive as long as the views that point into it.
class PackedWeights {
 public:
  // Packs w if the type has a packed layout and at least 8 rows; sets
  // w.packed / w.packed_rows. Returns false (w unchanged) otherwise.
  bool pack(MatrixView& w);
  size_t bytes() const { return bytes_; }

 private:
  std::vector<HugeBuffer> buffers_;
  size_t bytes_ = 0;
};

bool has_packed_layout(quant::TensorType type);

constexpr size_t kQ4KGroupBlockBytes = 1248;

}  // namespace pagoda::kernels
