#include "gguf/value.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "gguf_test_util.h"

namespace pagoda::gguf {
namespace {

TEST(ValueTest, TypeNames) {
  EXPECT_EQ(value_type_name(ValueType::UINT8), "uint8");
  EXPECT_EQ(value_type_name(ValueType::INT16), "int16");
  EXPECT_EQ(value_type_name(ValueType::FLOAT32), "float32");
  EXPECT_EQ(value_type_name(ValueType::BOOL), "bool");
  EXPECT_EQ(value_type_name(ValueType::STRING), "string");
  EXPECT_EQ(value_type_name(ValueType::ARRAY), "array");
  EXPECT_EQ(value_type_name(ValueType::FLOAT64), "float64");
  EXPECT_EQ(value_type_name(static_cast<ValueType>(99)), "unknown");
}

TEST(ValueTest, DefaultIsZeroU8) {
  Value v;
  EXPECT_EQ(v.type(), ValueType::UINT8);
  EXPECT_EQ(v.as_int(), 0);
  EXPECT_EQ(v, Value::u8(0));
}

TEST(ValueTest, IntegersOfEveryWidth) {
  EXPECT_EQ(Value::u8(255).as_int(), 255);
  EXPECT_EQ(Value::i8(-128).as_int(), -128);
  EXPECT_EQ(Value::u16(65535).as_uint(), 65535u);
  EXPECT_EQ(Value::i16(-32768).as_int(), -32768);
  EXPECT_EQ(Value::u32(4294967295u).as_int(), 4294967295);
  EXPECT_EQ(Value::i32(std::numeric_limits<int32_t>::min()).as_int(), std::numeric_limits<int32_t>::min());
  EXPECT_EQ(Value::u64(std::numeric_limits<uint64_t>::max()).as_uint(), std::numeric_limits<uint64_t>::max());
  EXPECT_EQ(Value::i64(std::numeric_limits<int64_t>::min()).as_int(), std::numeric_limits<int64_t>::min());
  for (const Value& v : {Value::u8(1), Value::i8(1), Value::u16(1), Value::i16(1), Value::u32(1),
                         Value::i32(1), Value::u64(1), Value::i64(1)}) {
    EXPECT_TRUE(v.is_integer()) << value_type_name(v.type());
    EXPECT_FALSE(v.is_float());
  }
}

TEST(ValueTest, IntegerRangeChecks) {
  EXPECT_EQ(Value::u64(uint64_t{1} << 63 >> 1).as_int(), int64_t{1} << 62);
  EXPECT_GGUF_ERROR(Value::u64(std::numeric_limits<uint64_t>::max()).as_int(), "out of range");
  EXPECT_GGUF_ERROR(Value::i32(-3).as_uint(), "negative");
  EXPECT_EQ(Value::i32(3).as_uint(), 3u);
}

TEST(ValueTest, Floats) {
  EXPECT_TRUE(Value::f32(1.5f).is_float());
  EXPECT_EQ(Value::f32(1.5f).as_float(), 1.5);
  EXPECT_EQ(Value::f64(-2.25).as_float(), -2.25);
  // as_float widens integers; as_int does not narrow floats.
  EXPECT_EQ(Value::i32(-7).as_float(), -7.0);
  EXPECT_EQ(Value::u64(10).as_float(), 10.0);
  EXPECT_GGUF_ERROR(Value::f32(1.0f).as_int(), "expected an integer, got float32");
}

TEST(ValueTest, MismatchesNameBothTypes) {
  EXPECT_GGUF_ERROR(Value::string("x").as_int(), "expected an integer, got string");
  EXPECT_GGUF_ERROR(Value::string("x").as_uint(), "got string");
  EXPECT_GGUF_ERROR(Value::string("x").as_float(), "expected a number, got string");
  EXPECT_GGUF_ERROR(Value::u8(1).as_bool(), "expected a bool, got uint8");
  EXPECT_GGUF_ERROR(Value::boolean(true).as_string(), "expected a string, got bool");
  EXPECT_GGUF_ERROR(Value::f64(1).as_array(), "expected an array, got float64");
  EXPECT_GGUF_ERROR(Value::i32_array({1}).as_int(), "expected an integer, got array");
}

TEST(ValueTest, BoolAndString) {
  EXPECT_TRUE(Value::boolean(true).as_bool());
  EXPECT_FALSE(Value::boolean(false).as_bool());
  EXPECT_EQ(Value::string("héllo").as_string(), "héllo");
  EXPECT_EQ(Value::string("").as_string(), "");
}

TEST(ValueTest, Arrays) {
  const Value s = Value::string_array({"a", "b"});
  ASSERT_EQ(s.type(), ValueType::ARRAY);
  EXPECT_EQ(s.as_array().element_type, ValueType::STRING);
  ASSERT_EQ(s.as_array().items.size(), 2u);
  EXPECT_EQ(s.as_array().items[1].as_string(), "b");

  const Value f = Value::f32_array({0.5f, 2.0f});
  EXPECT_EQ(f.as_array().element_type, ValueType::FLOAT32);
  EXPECT_EQ(f.as_array().items[0].as_float(), 0.5);

  const Value i = Value::i32_array({-1, 7});
  EXPECT_EQ(i.as_array().element_type, ValueType::INT32);
  EXPECT_EQ(i.as_array().items[0].as_int(), -1);

  // An empty array keeps its element type.
  const Value empty = Value::array(ValueType::UINT64, {});
  EXPECT_EQ(empty.as_array().element_type, ValueType::UINT64);
  EXPECT_TRUE(empty.as_array().items.empty());

  const Value nested = Value::array(ValueType::ARRAY, {s, Value::string_array({})});
  EXPECT_EQ(nested.as_array().items[0].as_array().items[0].as_string(), "a");
}

TEST(ValueTest, ArrayRejectsMixedElements) {
  EXPECT_GGUF_ERROR(Value::array(ValueType::UINT32, {Value::u32(1), Value::i32(2)}),
                    "array of uint32 has an element of type int32 at index 1");
}

TEST(ValueTest, Equality) {
  EXPECT_EQ(Value::u32(5), Value::u32(5));
  EXPECT_NE(Value::u32(5), Value::u64(5));  // same number, different type
  EXPECT_NE(Value::u32(5), Value::u32(6));
  EXPECT_EQ(Value::string_array({"a"}), Value::string_array({"a"}));
  EXPECT_NE(Value::string_array({"a"}), Value::string_array({"b"}));
  EXPECT_NE(Value::array(ValueType::UINT8, {}), Value::array(ValueType::INT8, {}));
}

}  // namespace
}  // namespace pagoda::gguf
