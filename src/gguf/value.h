#pragma once
// A GGUF metadata value: a scalar, a string, or an array (arrays may nest).
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace pagoda::gguf {

enum class ValueType : uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6,
  BOOL = 7, STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};

std::string_view value_type_name(ValueType type);

class Value;

// Elements of one array share `element_type`; an empty array keeps its type.
struct Array {
  ValueType element_type = ValueType::UINT8;
  std::vector<Value> items;
};
bool operator==(const Array& a, const Array& b);

class Value {
 public:
  Value() = default;
  static Value u8(uint8_t v) { return Value(ValueType::UINT8, uint64_t{v}); }
  static Value i8(int8_t v) { return Value(ValueType::INT8, int64_t{v}); }
  static Value u16(uint16_t v) { return Value(ValueType::UINT16, uint64_t{v}); }
  static Value i16(int16_t v) { return Value(ValueType::INT16, int64_t{v}); }
  static Value u32(uint32_t v) { return Value(ValueType::UINT32, uint64_t{v}); }
  static Value i32(int32_t v) { return Value(ValueType::INT32, int64_t{v}); }
  static Value u64(uint64_t v) { return Value(ValueType::UINT64, v); }
  static Value i64(int64_t v) { return Value(ValueType::INT64, v); }
  static Value f32(float v) { return Value(ValueType::FLOAT32, double{v}); }
  static Value f64(double v) { return Value(ValueType::FLOAT64, v); }
  static Value boolean(bool v) { return Value(ValueType::BOOL, v); }
  static Value string(std::string v) { return Value(ValueType::STRING, std::move(v)); }
  static Value array(ValueType element_type, std::vector<Value> items);
  static Value string_array(const std::vector<std::string>& items);
  static Value f32_array(const std::vector<float>& items);
  static Value i32_array(const std::vector<int32_t>& items);

  ValueType type() const { return type_; }
  bool is_integer() const;
  bool is_float() const { return type_ == ValueType::FLOAT32 || type_ == ValueType::FLOAT64; }

  // Checked accessors: throw pagoda::Error naming the actual type on a
  // mismatch. as_int accepts any integer type (and checks the range of u64);
  // as_float accepts floats and integers.
  int64_t as_int() const;
  uint64_t as_uint() const;
  double as_float() const;
  bool as_bool() const;
  const std::string& as_string() const;
  const Array& as_array() const;

  // Same type and same contents (floats compare by value, so NaN != NaN).
  friend bool operator==(const Value& a, const Value& b) {
    return a.type_ == b.type_ && a.storage_ == b.storage_;
  }

 private:
  using Storage = std::variant<std::monostate, uint64_t, int64_t, double, bool, std::string, Array>;
  // Builds the alternative in place: moving a whole Storage temporary trips
  // GCC 12's -Wmaybe-uninitialized under -O2 with sanitizers.
  template <typename T>
  Value(ValueType type, T v) : type_(type), storage_(std::in_place_type<T>, std::move(v)) {}
  // A default Value is u8(0), so every Value is well formed.
  ValueType type_ = ValueType::UINT8;
  Storage storage_{uint64_t{0}};
};

}  // namespace pagoda::gguf
