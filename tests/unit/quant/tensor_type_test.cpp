// Block geometry: type_info's sizes agree with the packed structs of
// quant/blocks.h and with the GGUF format, and row_bytes follows them.
#include "quant/tensor_type.h"

#include <gtest/gtest.h>

#include "quant/blocks.h"

namespace pagoda::quant {
namespace {

TEST(TensorTypeTest, BlockStructsMatchTypeInfo) {
  struct Case {
    TensorType type;
    size_t bytes;
    int64_t elements;
  };
  const Case cases[] = {
      {TensorType::Q4_0, sizeof(BlockQ4_0), kQK4_0}, {TensorType::Q4_1, sizeof(BlockQ4_1), kQK4_1},
      {TensorType::Q5_0, sizeof(BlockQ5_0), kQK5_0}, {TensorType::Q5_1, sizeof(BlockQ5_1), kQK5_1},
      {TensorType::Q8_0, sizeof(BlockQ8_0), kQK8_0}, {TensorType::Q8_1, sizeof(BlockQ8_1), kQK8_1},
      {TensorType::Q2_K, sizeof(BlockQ2_K), kQK_K},  {TensorType::Q3_K, sizeof(BlockQ3_K), kQK_K},
      {TensorType::Q4_K, sizeof(BlockQ4_K), kQK_K},  {TensorType::Q5_K, sizeof(BlockQ5_K), kQK_K},
      {TensorType::Q6_K, sizeof(BlockQ6_K), kQK_K},  {TensorType::Q8_K, sizeof(BlockQ8_K), kQK_K},
  };
  for (const Case& c : cases) {
    const TypeInfo& info = type_info(c.type);
    EXPECT_EQ(static_cast<size_t>(info.block_bytes), c.bytes) << info.name;
    EXPECT_EQ(info.block_size, c.elements) << info.name;
  }
}

TEST(TensorTypeTest, RowBytes) {
  EXPECT_EQ(row_bytes(TensorType::F32, 7), 28u);
  EXPECT_EQ(row_bytes(TensorType::F16, 7), 14u);
  EXPECT_EQ(row_bytes(TensorType::BF16, 3), 6u);
  EXPECT_EQ(row_bytes(TensorType::Q4_0, 64), 36u);     // 2 blocks of 18
  EXPECT_EQ(row_bytes(TensorType::Q4_1, 32), 20u);
  EXPECT_EQ(row_bytes(TensorType::Q5_0, 4096), 2816u);  // 128 * 22
  EXPECT_EQ(row_bytes(TensorType::Q5_1, 32), 24u);
  EXPECT_EQ(row_bytes(TensorType::Q8_0, 4096), 4352u);  // 128 * 34
  EXPECT_EQ(row_bytes(TensorType::Q2_K, 256), 84u);
  EXPECT_EQ(row_bytes(TensorType::Q3_K, 512), 220u);
  EXPECT_EQ(row_bytes(TensorType::Q4_K, 4096), 2304u);  // 16 * 144
  EXPECT_EQ(row_bytes(TensorType::Q5_K, 256), 176u);
  EXPECT_EQ(row_bytes(TensorType::Q6_K, 768), 630u);    // 3 * 210
  EXPECT_EQ(row_bytes(TensorType::Q8_K, 256), 292u);
  EXPECT_EQ(row_bytes(TensorType::Q4_0, 0), 0u);
}

TEST(TensorTypeTest, IdsAndNames) {
  EXPECT_EQ(type_info(14u)->type, TensorType::Q6_K);
  EXPECT_EQ(type_info(30u)->type, TensorType::BF16);
  EXPECT_FALSE(type_info(4u).has_value());  // Q4_2, removed from the format
  EXPECT_EQ(type_from_name("Q4_K"), TensorType::Q4_K);
  EXPECT_EQ(type_from_name("bf16"), TensorType::BF16);
  EXPECT_FALSE(type_from_name("q4_3").has_value());
}

}  // namespace
}  // namespace pagoda::quant
