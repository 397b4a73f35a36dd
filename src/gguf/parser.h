#pragma once
// Internal: decodes and validates a whole GGUF image into a File. Every read
// is bounds-checked, and every error names what was being read and where.
#include <cstdint>
#include <string>
#include <vector>

#include "gguf/file.h"

namespace pagoda::gguf {

class Parser {
 public:
  // Parses data[0, size) into `file`. The bytes must outlive `file` (they
  // are its mapping): tensor data pointers point into them.
  static void parse(const uint8_t* data, uint64_t size, File& file);

 private:
  Parser(const uint8_t* data, uint64_t size, File& file) : data_(data), size_(size), file_(file) {}

  void parse_header();
  void parse_metadata();
  void parse_tensor_infos();
  void place_tensor_data();

  // Throws a truncation error unless `n` more bytes are left.
  void need(uint64_t n, const char* what) const;
  template <typename T>
  T read(const char* what);
  std::string read_name(const char* what, const char* empty_message);
  ValueType read_value_type(const char* what);
  Value read_value(ValueType type, int depth);

  // Where the parser is, for messages: "metadata entry 3 (key "a.b") at array index [2]".
  std::string context() const;
  uint64_t remaining() const { return size_ - pos_; }

  const uint8_t* data_;
  uint64_t size_;
  uint64_t pos_ = 0;
  File& file_;

  uint64_t n_tensors_ = 0;
  uint64_t n_metadata_ = 0;
  uint64_t values_left_ = 0;  // budget of metadata values still allowed

  enum class Section { kHeader, kMetadata, kTensorInfos };
  Section section_ = Section::kHeader;
  uint64_t entry_ = 0;                // index of the metadata entry or tensor info
  std::string entry_name_;            // its key or tensor name, once read
  std::vector<uint64_t> array_path_;  // indices into (nested) arrays being read
};

}  // namespace pagoda::gguf
