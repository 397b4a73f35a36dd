#pragma once
// Writes GGUF v3 files: metadata in insertion order, tensors aligned to
// general.alignment (default 32).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_set>
#include <vector>

#include "gguf/value.h"
#include "quant/tensor_type.h"

namespace pagoda::gguf {

class Writer {
 public:
  // Adds or replaces a key (a replaced key keeps its position).
  void set(const std::string& key, Value value);
  // dims in ggml order; data must hold exactly the tensor's byte size
  // (checked: pagoda::Error otherwise). Names must be unique.
  void add_tensor(const std::string& name, quant::TensorType type, std::vector<int64_t> dims,
                  std::vector<uint8_t> data);

  std::vector<uint8_t> to_bytes() const;
  void write(const std::string& path) const;  // pagoda::Error on I/O failure

 private:
  struct PendingTensor {
    std::string name;
    quant::TensorType type;
    std::vector<int64_t> dims;
    std::vector<uint8_t> data;
  };
  uint32_t alignment() const;
  // Produces the image in order through `put` (into memory or a file).
  void emit(const std::function<void(const void*, size_t)>& put) const;
  std::vector<std::pair<std::string, Value>> metadata_;
  std::vector<PendingTensor> tensors_;
  std::unordered_set<std::string> tensor_names_;
};

}  // namespace pagoda::gguf
