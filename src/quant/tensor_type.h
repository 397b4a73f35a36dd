#pragma once
// The tensor element types of the GGUF ecosystem, with their GGML type ids
// (the numbers stored in GGUF files) and block geometry.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace pagoda::quant {

enum class TensorType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21,
  IQ2_S = 22, IQ4_XS = 23, I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28,
  IQ1_M = 29, BF16 = 30, TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39,
};

struct TypeInfo {
  TensorType type;
  std::string_view name;   // as llama.cpp prints it: "q4_0", "f16", ...
  int64_t block_size;      // elements per block
  int64_t block_bytes;     // bytes per block
  bool can_dequantize;     // Pagoda has a reference dequantizer for it
};

// nullopt for an id that no known type has (a corrupt or too-new file).
std::optional<TypeInfo> type_info(uint32_t id);
const TypeInfo& type_info(TensorType type);
std::optional<TensorType> type_from_name(std::string_view name);  // case-insensitive

// Bytes of a row of n elements; n must be a multiple of the block size.
size_t row_bytes(TensorType type, int64_t n);

}  // namespace pagoda::quant
