// The KV cache storage types: names, row sizes and the store/load round trip
// of one row. Expected sizes are derived by hand in the comments; the round
// trip bounds come from the formats (F32 exact, F16's 11-bit mantissa, Q8_0's
// one quantisation step of amax / 127 per 32-element block).
#include "kv/kv_type.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"

namespace pagoda::kv {
namespace {

// A row with a spread of magnitudes and both signs; deterministic.
std::vector<float> sample_row(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> mant(0.5f, 1.0f);
  std::uniform_int_distribution<int> exp(-8, 8);
  std::vector<float> row(static_cast<size_t>(n));
  for (float& x : row) x = std::ldexp(mant(rng), exp(rng)) * (rng() & 1 ? 1.0f : -1.0f);
  return row;
}

std::vector<uint8_t> stored(KvType type, const std::vector<float>& row) {
  const auto dim = static_cast<int64_t>(row.size());
  std::vector<uint8_t> bytes(kv_row_bytes(type, dim));
  store_kv_row(type, row.data(), dim, bytes.data());
  return bytes;
}

std::vector<float> loaded(KvType type, const std::vector<uint8_t>& bytes, int64_t begin, int64_t n) {
  std::vector<float> out(static_cast<size_t>(n), -12345.0f);
  load_kv_elements(type, bytes.data(), begin, n, out.data());
  return out;
}

TEST(KvType, ParsesEachNameAndNamesItBack) {
  EXPECT_EQ(parse_kv_type("f32"), KvType::F32);
  EXPECT_EQ(parse_kv_type("f16"), KvType::F16);
  EXPECT_EQ(parse_kv_type("q8_0"), KvType::Q8_0);
  for (KvType t : {KvType::F32, KvType::F16, KvType::Q8_0}) EXPECT_EQ(parse_kv_type(kv_type_name(t)), t);
}

TEST(KvType, BadNameIsAnErrorNamingTheValueAndTheChoices) {
  for (const std::string bad : {"q4_0", "F16", "", "f16 "}) {
    try {
      parse_kv_type(bad);
      ADD_FAILURE() << "'" << bad << "' was accepted";
    } catch (const Error& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("'" + bad + "'"), std::string::npos) << msg;
      for (const char* choice : {"f16", "f32", "q8_0"}) EXPECT_NE(msg.find(choice), std::string::npos) << msg;
    }
  }
}

TEST(KvType, RowBytes) {
  // 4 bytes per F32 element, 2 per F16; Q8_0 stores 32 elements in a block of
  // an fp16 scale plus 32 int8 quants = 34 bytes.
  EXPECT_EQ(kv_row_bytes(KvType::F32, 64), 256u);
  EXPECT_EQ(kv_row_bytes(KvType::F16, 64), 128u);
  EXPECT_EQ(kv_row_bytes(KvType::Q8_0, 64), 68u);
  EXPECT_EQ(kv_row_bytes(KvType::Q8_0, 32), 34u);
  EXPECT_EQ(kv_row_bytes(KvType::F32, 7), 28u);  // the float types take any width
  EXPECT_EQ(kv_row_bytes(KvType::F16, 7), 14u);
}

TEST(KvType, Q8_0NeedsAMultipleOf32) {
  for (int64_t dim : {1, 31, 33, 40, 100}) {
    try {
      kv_row_bytes(KvType::Q8_0, dim);
      ADD_FAILURE() << dim << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(std::to_string(dim)), std::string::npos) << e.what();
    }
  }
  // Storing such a row is refused too, rather than writing a partial block.
  const std::vector<float> row(40, 1.0f);
  std::vector<uint8_t> bytes(64);
  EXPECT_THROW(store_kv_row(KvType::Q8_0, row.data(), 40, bytes.data()), Error);
}

TEST(KvType, F32RoundTripIsExact) {
  const std::vector<float> row = sample_row(40, 1);
  const auto bytes = stored(KvType::F32, row);
  EXPECT_EQ(loaded(KvType::F32, bytes, 0, 40), row);
  // A sub-range is the same slice.
  const auto part = loaded(KvType::F32, bytes, 13, 9);
  EXPECT_EQ(part, std::vector<float>(row.begin() + 13, row.begin() + 22));
}

TEST(KvType, F16RoundTripWithinHalfPrecision) {
  // F16 keeps 11 significant bits: relative error <= 2^-11 < 1e-3 for values
  // in the normal range (all of sample_row's are).
  const std::vector<float> row = sample_row(48, 2);
  const auto bytes = stored(KvType::F16, row);
  const auto back = loaded(KvType::F16, bytes, 0, 48);
  for (size_t i = 0; i < row.size(); ++i) EXPECT_NEAR(back[i], row[i], 1e-3f * std::fabs(row[i])) << i;
  const auto part = loaded(KvType::F16, bytes, 5, 20);
  EXPECT_EQ(part, std::vector<float>(back.begin() + 5, back.begin() + 25));
  // Values that are exact in F16 come back unchanged.
  const std::vector<float> exact = {0.0f, 1.0f, -2.5f, 1024.0f, 0.125f, -65504.0f};
  EXPECT_EQ(loaded(KvType::F16, stored(KvType::F16, exact), 0, 6), exact);
}

TEST(KvType, Q8_0RoundTripWithinOneStep) {
  // 3 blocks, each with its own scale: the middle block is 100x smaller, so
  // a shared scale would fail the bound there.
  std::vector<float> row = sample_row(96, 3);
  for (size_t i = 32; i < 64; ++i) row[i] *= 0.01f;
  const auto bytes = stored(KvType::Q8_0, row);
  ASSERT_EQ(bytes.size(), 3u * 34u);
  const auto back = loaded(KvType::Q8_0, bytes, 0, 96);
  for (size_t blk = 0; blk < 3; ++blk) {
    float amax = 0.0f;
    for (size_t j = 0; j < 32; ++j) amax = std::max(amax, std::fabs(row[blk * 32 + j]));
    const float step = amax / 127.0f;  // one quantisation step of this block
    for (size_t j = 0; j < 32; ++j) {
      const size_t i = blk * 32 + j;
      EXPECT_LE(std::fabs(back[i] - row[i]), step) << "element " << i;
    }
  }
  // The block's largest element maps to +-127 steps, so it comes back to
  // within the fp16 rounding of the scale.
  const auto big = std::max_element(row.begin(), row.begin() + 32, [](float a, float b) { return std::fabs(a) < std::fabs(b); });
  const auto at = static_cast<size_t>(big - row.begin());
  EXPECT_NEAR(back[at], row[at], 1e-3f * std::fabs(row[at]));
}

TEST(KvType, Q8_0SubRangeStartingMidBlock) {
  // Ranges that start inside a block and cross into the next must decode with
  // each element's own block scale: equal to the same slice of a full decode.
  std::vector<float> row = sample_row(128, 4);
  for (size_t i = 64; i < 96; ++i) row[i] *= 50.0f;  // scales differ per block
  const auto bytes = stored(KvType::Q8_0, row);
  const auto full = loaded(KvType::Q8_0, bytes, 0, 128);
  struct Range { int64_t begin, n; };
  for (const Range r : {Range{5, 3}, Range{17, 30}, Range{40, 50}, Range{63, 2}, Range{95, 33}, Range{127, 1}, Range{32, 32}}) {
    const auto part = loaded(KvType::Q8_0, bytes, r.begin, r.n);
    const std::vector<float> want(full.begin() + r.begin, full.begin() + r.begin + r.n);
    EXPECT_EQ(part, want) << "range " << r.begin << "+" << r.n;
  }
}

TEST(KvType, Q8_0ZeroRowStaysZero) {
  const std::vector<float> zeros(64, 0.0f);
  EXPECT_EQ(loaded(KvType::Q8_0, stored(KvType::Q8_0, zeros), 0, 64), zeros);
}

}  // namespace
}  // namespace pagoda::kv
