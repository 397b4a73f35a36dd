#pragma once
// A validated, memory-mapped safetensors file: an 8-byte little-endian
// header length, a JSON header naming each tensor's dtype, shape and byte
// span, then the raw little-endian data. open()/parse() check everything a
// hostile or truncated file can get wrong (header size, JSON shape, known
// dtypes, shape x dtype == span, spans inside the data and not overlapping)
// and throw pagoda::Error naming the problem; afterwards tensor data
// pointers are known to lie inside the mapping.
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/mapped_file.h"

namespace pagoda::convert {

enum class StDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

std::string_view dtype_name(StDtype t);
size_t dtype_size(StDtype t);

struct StTensor {
  std::string name;
  StDtype dtype = StDtype::F32;
  std::vector<int64_t> shape;  // row-major, as PyTorch: shape.back() is contiguous
  const uint8_t* data = nullptr;
  uint64_t nbytes = 0;

  int64_t n_elements() const;
};

class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::string& path);
  static SafetensorsFile parse(std::span<const uint8_t> bytes);  // copies

  const std::vector<StTensor>& tensors() const { return tensors_; }  // in data order
  const StTensor* tensor(std::string_view name) const;               // nullptr when absent
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  void parse_image();
  MappedFile bytes_;
  std::vector<StTensor> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
};

// The tensor's elements as F32 (F64/F32/F16/BF16; other dtypes throw).
std::vector<float> to_f32(const StTensor& t);

}  // namespace pagoda::convert
