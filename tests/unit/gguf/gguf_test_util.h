#pragma once
// Helpers for the GGUF tests: a little-endian byte builder for hand-made
// (often deliberately broken) images, and a few valid reference images.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "gguf/file.h"
#include "gguf/value.h"
#include "gguf/writer.h"

namespace pagoda::gguf::testing {

// Appends GGUF primitives; every method returns *this for chaining.
class Bytes {
 public:
  template <typename T>
  Bytes& put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    data_.insert(data_.end(), p, p + sizeof v);
    return *this;
  }
  Bytes& u8(uint8_t v) { return put(v); }
  Bytes& u32(uint32_t v) { return put(v); }
  Bytes& u64(uint64_t v) { return put(v); }
  Bytes& i64(int64_t v) { return put(v); }
  Bytes& raw(std::string_view s) {
    data_.insert(data_.end(), s.begin(), s.end());
    return *this;
  }
  Bytes& zeros(size_t n) {
    data_.insert(data_.end(), n, 0);
    return *this;
  }
  Bytes& str(std::string_view s) { return u64(s.size()).raw(s); }

  // magic, version, tensor count, metadata count
  Bytes& header(uint64_t n_tensors, uint64_t n_metadata, uint32_t version = 3) {
    return raw("GGUF").u32(version).u64(n_tensors).u64(n_metadata);
  }
  // Key and value type; the caller appends the value.
  Bytes& key(std::string_view k, ValueType type) { return str(k).u32(static_cast<uint32_t>(type)); }
  Bytes& kv_u32(std::string_view k, uint32_t v) { return key(k, ValueType::UINT32).u32(v); }
  Bytes& kv_str(std::string_view k, std::string_view v) { return key(k, ValueType::STRING).str(v); }
  Bytes& tensor_info(std::string_view name, const std::vector<int64_t>& dims, uint32_t type,
                     uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(dims.size()));
    for (int64_t d : dims) i64(d);
    return u32(type).u64(offset);
  }
  Bytes& pad_to(size_t alignment) { return zeros((alignment - data_.size() % alignment) % alignment); }

  size_t size() const { return data_.size(); }
  const std::vector<uint8_t>& bytes() const { return data_; }
  operator std::vector<uint8_t>() const { return data_; }  // NOLINT: builder convenience

 private:
  std::vector<uint8_t> data_;
};

constexpr uint32_t kF32 = 0;
constexpr uint32_t kQ4_0 = 2;

// Deterministic filler for tensor data.
inline std::vector<uint8_t> pattern(size_t n, uint8_t seed = 1) {
  std::vector<uint8_t> v(n);
  uint32_t x = seed * 2654435761u + 12345u;
  for (auto& b : v) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return v;
}

// A small valid image with metadata of several kinds and two tensors whose
// data ends exactly at the end of the file (no trailing padding), so every
// proper prefix of it is invalid.
inline std::vector<uint8_t> small_valid_image() {
  Writer w;
  w.set("general.architecture", Value::string("llama"));
  w.set("llama.block_count", Value::u32(2));
  w.set("tokenizer.ggml.tokens", Value::string_array({"<s>", "a", "bc"}));
  w.set("nested", Value::array(ValueType::ARRAY, {Value::i32_array({1, 2}), Value::i32_array({})}));
  w.set("flag", Value::boolean(true));
  w.add_tensor("a", quant::TensorType::F32, {8}, pattern(32, 1));
  w.add_tensor("b", quant::TensorType::Q4_0, {32, 1}, pattern(18, 2));
  auto bytes = w.to_bytes();
  // Drop the trailing padding after "b": readers must not need it.
  bytes.resize(bytes.size() - (32 - 18));
  return bytes;
}

// Runs `f`, expecting a pagoda::Error whose message contains `expected`.
#define EXPECT_GGUF_ERROR(statement, expected)                                          \
  do {                                                                                  \
    try {                                                                               \
      statement;                                                                        \
      ADD_FAILURE() << "no error; expected one containing: " << (expected);            \
    } catch (const ::pagoda::Error& e) {                                                \
      EXPECT_NE(std::string(e.what()).find(expected), std::string::npos)                \
          << "message: " << e.what() << "\nexpected to contain: " << (expected);       \
    }                                                                                   \
  } while (0)

}  // namespace pagoda::gguf::testing
