#pragma once
// Helpers for the quant tests: raw blocks are built byte by byte, exactly as
// they sit in a GGUF file, so that the tests check the byte layout and not
// just agreement with our own structs.
#include <cstdint>
#include <cstring>
#include <vector>

#include "quant/dequantize.h"
#include "quant/tensor_type.h"

namespace pagoda::quant::testing {

using Bytes = std::vector<uint8_t>;

// Little-endian 16-bit field (fp16 bits) at byte offset off.
inline void put_u16(Bytes& b, size_t off, uint16_t v) {
  b.at(off) = static_cast<uint8_t>(v & 0xFF);
  b.at(off + 1) = static_cast<uint8_t>(v >> 8);
}

// Dequantizes a row given as raw bytes. The bytes are first moved to an odd
// address, so that any aligned load of an fp16/float field in the
// implementation shows up under UBSan.
inline std::vector<float> dequantize_bytes(TensorType type, const Bytes& bytes) {
  const TypeInfo& info = type_info(type);
  const int64_t n = static_cast<int64_t>(bytes.size()) / info.block_bytes * info.block_size;
  std::vector<uint8_t> shifted(bytes.size() + 1);
  std::memcpy(shifted.data() + 1, bytes.data(), bytes.size());
  std::vector<float> out(static_cast<size_t>(n));
  dequantize_row(type, shifted.data() + 1, out.data(), n);
  return out;
}

}  // namespace pagoda::quant::testing
