#include "quant/tensor_type.h"

#include <array>
#include <cassert>
#include <cctype>

namespace pagoda::quant {
namespace {

// Block geometry from the GGUF format definition (block structs of ggml).
constexpr std::array kTypes = {
    TypeInfo{TensorType::F32, "f32", 1, 4, true},
    TypeInfo{TensorType::F16, "f16", 1, 2, true},
    TypeInfo{TensorType::Q4_0, "q4_0", 32, 18, true},
    TypeInfo{TensorType::Q4_1, "q4_1", 32, 20, true},
    TypeInfo{TensorType::Q5_0, "q5_0", 32, 22, true},
    TypeInfo{TensorType::Q5_1, "q5_1", 32, 24, true},
    TypeInfo{TensorType::Q8_0, "q8_0", 32, 34, true},
    TypeInfo{TensorType::Q8_1, "q8_1", 32, 36, false},
    TypeInfo{TensorType::Q2_K, "q2_K", 256, 84, true},
    TypeInfo{TensorType::Q3_K, "q3_K", 256, 110, true},
    TypeInfo{TensorType::Q4_K, "q4_K", 256, 144, true},
    TypeInfo{TensorType::Q5_K, "q5_K", 256, 176, true},
    TypeInfo{TensorType::Q6_K, "q6_K", 256, 210, true},
    TypeInfo{TensorType::Q8_K, "q8_K", 256, 292, false},
    TypeInfo{TensorType::IQ2_XXS, "iq2_xxs", 256, 66, false},
    TypeInfo{TensorType::IQ2_XS, "iq2_xs", 256, 74, false},
    TypeInfo{TensorType::IQ3_XXS, "iq3_xxs", 256, 98, false},
    TypeInfo{TensorType::IQ1_S, "iq1_s", 256, 50, false},
    TypeInfo{TensorType::IQ4_NL, "iq4_nl", 32, 18, false},
    TypeInfo{TensorType::IQ3_S, "iq3_s", 256, 110, false},
    TypeInfo{TensorType::IQ2_S, "iq2_s", 256, 82, false},
    TypeInfo{TensorType::IQ4_XS, "iq4_xs", 256, 136, false},
    TypeInfo{TensorType::I8, "i8", 1, 1, false},
    TypeInfo{TensorType::I16, "i16", 1, 2, false},
    TypeInfo{TensorType::I32, "i32", 1, 4, false},
    TypeInfo{TensorType::I64, "i64", 1, 8, false},
    TypeInfo{TensorType::F64, "f64", 1, 8, false},
    TypeInfo{TensorType::IQ1_M, "iq1_m", 256, 56, false},
    TypeInfo{TensorType::BF16, "bf16", 1, 2, true},
    TypeInfo{TensorType::TQ1_0, "tq1_0", 256, 54, false},
    TypeInfo{TensorType::TQ2_0, "tq2_0", 256, 66, false},
    TypeInfo{TensorType::MXFP4, "mxfp4", 32, 17, false},
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace

std::optional<TypeInfo> type_info(uint32_t id) {
  for (const auto& t : kTypes) {
    if (static_cast<uint32_t>(t.type) == id) return t;
  }
  return std::nullopt;
}

const TypeInfo& type_info(TensorType type) {
  for (const auto& t : kTypes) {
    if (t.type == type) return t;
  }
  assert(false && "TensorType missing from kTypes");
  return kTypes[0];
}

std::optional<TensorType> type_from_name(std::string_view name) {
  for (const auto& t : kTypes) {
    if (iequals(t.name, name)) return t.type;
  }
  return std::nullopt;
}

size_t row_bytes(TensorType type, int64_t n) {
  const TypeInfo& info = type_info(type);
  assert(n % info.block_size == 0);
  return static_cast<size_t>(n / info.block_size * info.block_bytes);
}

}  // namespace pagoda::quant
