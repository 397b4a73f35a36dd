#include "gguf/value.h"

#include <cstdint>
#include <limits>

#include "core/error.h"

namespace pagoda::gguf {

std::string_view value_type_name(ValueType type) {
  switch (type) {
    case ValueType::UINT8: return "uint8";
    case ValueType::INT8: return "int8";
    case ValueType::UINT16: return "uint16";
    case ValueType::INT16: return "int16";
    case ValueType::UINT32: return "uint32";
    case ValueType::INT32: return "int32";
    case ValueType::FLOAT32: return "float32";
    case ValueType::BOOL: return "bool";
    case ValueType::STRING: return "string";
    case ValueType::ARRAY: return "array";
    case ValueType::UINT64: return "uint64";
    case ValueType::INT64: return "int64";
    case ValueType::FLOAT64: return "float64";
  }
  return "unknown";
}

bool operator==(const Array& a, const Array& b) {
  return a.element_type == b.element_type && a.items == b.items;
}

Value Value::array(ValueType element_type, std::vector<Value> items) {
  // Enforced here so that the Writer can never emit a mixed array.
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].type() != element_type) {
      fail("array of ", value_type_name(element_type), " has an element of type ",
           value_type_name(items[i].type()), " at index ", i);
    }
  }
  return Value(ValueType::ARRAY, Array{element_type, std::move(items)});
}

Value Value::string_array(const std::vector<std::string>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (const auto& s : items) values.push_back(Value::string(s));
  return Value(ValueType::ARRAY, Array{ValueType::STRING, std::move(values)});
}

Value Value::f32_array(const std::vector<float>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (float f : items) values.push_back(Value::f32(f));
  return Value(ValueType::ARRAY, Array{ValueType::FLOAT32, std::move(values)});
}

Value Value::i32_array(const std::vector<int32_t>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (int32_t i : items) values.push_back(Value::i32(i));
  return Value(ValueType::ARRAY, Array{ValueType::INT32, std::move(values)});
}

bool Value::is_integer() const {
  switch (type_) {
    case ValueType::UINT8:
    case ValueType::INT8:
    case ValueType::UINT16:
    case ValueType::INT16:
    case ValueType::UINT32:
    case ValueType::INT32:
    case ValueType::UINT64:
    case ValueType::INT64:
      return true;
    default:
      return false;
  }
}

int64_t Value::as_int() const {
  if (!is_integer()) fail("expected an integer, got ", value_type_name(type_));
  if (const auto* u = std::get_if<uint64_t>(&storage_)) {
    if (*u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      fail("expected an int64, got ", value_type_name(type_), " ", *u, " (out of range)");
    }
    return static_cast<int64_t>(*u);
  }
  return std::get<int64_t>(storage_);
}

uint64_t Value::as_uint() const {
  if (!is_integer()) fail("expected an unsigned integer, got ", value_type_name(type_));
  if (const auto* i = std::get_if<int64_t>(&storage_)) {
    if (*i < 0) {
      fail("expected an unsigned integer, got ", value_type_name(type_), " ", *i, " (negative)");
    }
    return static_cast<uint64_t>(*i);
  }
  return std::get<uint64_t>(storage_);
}

double Value::as_float() const {
  if (is_float()) return std::get<double>(storage_);
  if (const auto* u = std::get_if<uint64_t>(&storage_)) return static_cast<double>(*u);
  if (const auto* i = std::get_if<int64_t>(&storage_)) return static_cast<double>(*i);
  fail("expected a number, got ", value_type_name(type_));
}

bool Value::as_bool() const {
  if (type_ != ValueType::BOOL) fail("expected a bool, got ", value_type_name(type_));
  return std::get<bool>(storage_);
}

const std::string& Value::as_string() const {
  if (type_ != ValueType::STRING) fail("expected a string, got ", value_type_name(type_));
  return std::get<std::string>(storage_);
}

const Array& Value::as_array() const {
  if (type_ != ValueType::ARRAY) fail("expected an array, got ", value_type_name(type_));
  return std::get<Array>(storage_);
}

}  // namespace pagoda::gguf
