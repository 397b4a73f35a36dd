#pragma once
// A validated, memory-mapped GGUF file (versions 2 and 3). Everything a
// hostile file can get wrong is checked in open()/parse(), which throw
// pagoda::Error with one clear message naming the problem; after that,
// tensor data pointers are known to lie inside the mapping.
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/mapped_file.h"
#include "gguf/value.h"
#include "quant/tensor_type.h"

namespace pagoda::gguf {

constexpr uint32_t kDefaultAlignment = 32;

// Lets the name indexes below be searched with a string_view (no copy).
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> dims;   // ggml order: dims[0] is the contiguous (row) length
  quant::TensorType type = quant::TensorType::F32;
  uint64_t offset = 0;         // from the start of the tensor data section
  uint64_t nbytes = 0;
  const uint8_t* data = nullptr;  // inside the mapping

  int64_t n_elements() const;
  int64_t n_rows() const { return dims.empty() || dims[0] == 0 ? 0 : n_elements() / dims[0]; }
};

class File {
 public:
  // Maps and validates the file; errors start with the path.
  static File open(const std::string& path);
  // Validates an in-memory image (copied); used by tests and fuzzers.
  static File parse(std::span<const uint8_t> bytes);

  File(File&&) noexcept;
  File& operator=(File&&) noexcept;
  ~File();

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }  // start of tensor data in the file
  uint64_t file_size() const { return size_; }

  // Metadata in file order.
  const std::vector<std::pair<std::string, Value>>& metadata() const { return metadata_; }
  const Value* find(std::string_view key) const;  // nullptr when absent
  bool has(std::string_view key) const { return find(key) != nullptr; }
  // Typed look-ups; nullopt when absent, pagoda::Error naming the key when
  // present with an incompatible type.
  std::optional<int64_t> get_int(std::string_view key) const;
  std::optional<double> get_float(std::string_view key) const;
  std::optional<bool> get_bool(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  const Array* get_array(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* tensor(std::string_view name) const;  // nullptr when absent

 private:
  File() = default;
  MappedFile bytes_;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint32_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<std::pair<std::string, Value>> metadata_;
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> metadata_index_;
  std::vector<TensorInfo> tensors_;
  std::unordered_map<std::string, size_t, StringHash, std::equal_to<>> tensor_index_;
  friend class Parser;
};

}  // namespace pagoda::gguf
