#pragma once
// Writes GGUF v3 files: metadata in insertion order, tensors aligned to
// general.alignment (default 32).
#include <cstdint>
#include <string>
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
  std::vector<std::pair<std::string, Value>> metadata_;
  std::vector<PendingTensor> tensors_;
};

}  // namespace pagoda::gguf
