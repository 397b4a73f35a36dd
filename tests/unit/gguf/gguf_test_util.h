#pragma once
// Helpers for the GGUF tests: a little-endian byte builder for hand-made
// (often deliberately broken) images, and a few valid reference images.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
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
  // (erase, not resize: GCC 12 -O2 misreads a shrinking resize as a growth.)
  bytes.erase(bytes.end() - (32 - 18), bytes.end());
  return bytes;
}

struct ExpectedTensor {
  std::string name;
  quant::TensorType type;
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

// Metadata of every value type, including nested, empty and 8-deep arrays.
inline std::vector<std::pair<std::string, Value>> all_kinds_of_metadata() {
  // Eight levels of arrays: the deepest the reader accepts.
  Value deep = Value::u8(7);
  for (int i = 0; i < 8; ++i) deep = Value::array(deep.type(), {deep});
  return {
      {"u8", Value::u8(255)},
      {"i8", Value::i8(-128)},
      {"u16", Value::u16(65535)},
      {"i16", Value::i16(-32768)},
      {"u32", Value::u32(std::numeric_limits<uint32_t>::max())},
      {"i32", Value::i32(std::numeric_limits<int32_t>::min())},
      {"u64", Value::u64(std::numeric_limits<uint64_t>::max())},
      {"i64", Value::i64(std::numeric_limits<int64_t>::min())},
      {"f32", Value::f32(3.5f)},
      {"f32.inf", Value::f32(-std::numeric_limits<float>::infinity())},
      {"f64", Value::f64(-1e300)},
      {"bool.true", Value::boolean(true)},
      {"bool.false", Value::boolean(false)},
      {"string", Value::string("h\xc3\xa9llo \"world\"\n")},
      {"string.empty", Value::string("")},
      {"array.strings", Value::string_array({"<s>", "</s>", "", "tok"})},
      {"array.f32", Value::f32_array({0.0f, -1.25f, 1e-30f})},
      {"array.i32", Value::i32_array({-1, 0, 1, 1 << 30})},
      {"array.u8", Value::array(ValueType::UINT8, {Value::u8(0), Value::u8(255)})},
      {"array.bool", Value::array(ValueType::BOOL, {Value::boolean(false), Value::boolean(true)})},
      {"array.u64", Value::array(ValueType::UINT64, {Value::u64(1), Value::u64(uint64_t{1} << 63)})},
      {"array.f64", Value::array(ValueType::FLOAT64, {Value::f64(0.1)})},
      {"array.empty.u32", Value::array(ValueType::UINT32, {})},
      {"array.empty.string", Value::string_array({})},
      {"array.empty.array", Value::array(ValueType::ARRAY, {})},
      {"array.of.arrays.of.strings",
       Value::array(ValueType::ARRAY,
                    {Value::string_array({"a", "bc"}), Value::string_array({}), Value::string_array({"d"})})},
      {"array.deep", deep},
  };
}

// Tensors of several types and shapes, with their data.
inline std::vector<ExpectedTensor> several_tensors() {
  return {
      {"f32.matrix", quant::TensorType::F32, {8, 3}, pattern(8 * 3 * 4, 1)},
      {"f16.vector", quant::TensorType::F16, {16}, pattern(16 * 2, 2)},
      {"q4_0.matrix", quant::TensorType::Q4_0, {64, 2}, pattern(2 * 2 * 18, 3)},
      {"q8_0.vector", quant::TensorType::Q8_0, {32}, pattern(34, 4)},
      {"q4_k.matrix", quant::TensorType::Q4_K, {256, 2, 1}, pattern(2 * 144, 5)},
      {"empty", quant::TensorType::F32, {0}, {}},
      {"f32.4d", quant::TensorType::F32, {2, 1, 3, 2}, pattern(12 * 4, 6)},
  };
}

// A Writer holding all of the above, with general.alignment set unless 32.
inline Writer make_writer(uint32_t alignment) {
  Writer w;
  for (auto& [k, v] : all_kinds_of_metadata()) w.set(k, v);
  if (alignment != kDefaultAlignment) w.set("general.alignment", Value::u32(alignment));
  for (auto& t : several_tensors()) w.add_tensor(t.name, t.type, t.dims, t.data);
  return w;
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
