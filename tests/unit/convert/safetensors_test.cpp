#include "convert/safetensors.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "safetensors_builder.h"

namespace pagoda::convert {
namespace {

using testing::SafetensorsBuilder;

std::string parse_error(const std::vector<uint8_t>& bytes) {
  try {
    SafetensorsFile::parse(bytes);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Safetensors, ParsesDtypesShapesAndMetadata) {
  SafetensorsBuilder b;
  b.add("a", "F32", {2, 3}, {1, 2, 3, 4, 5, 6}).add("b", "F16", {4}, {0.5f, -1.0f, 2.0f, 65504.0f});
  b.add("c", "BF16", {1, 2}, {1.5f, -3.0f});
  b.header()["__metadata__"] = {{"format", "pt"}};
  const SafetensorsFile f = SafetensorsFile::parse(b.bytes());
  ASSERT_EQ(f.tensors().size(), 3u);
  EXPECT_EQ(f.metadata().at("format"), "pt");
  const StTensor* a = f.tensor("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->n_elements(), 6);
  EXPECT_EQ(to_f32(*a), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(to_f32(*f.tensor("b")), (std::vector<float>{0.5f, -1.0f, 2.0f, 65504.0f}));
  EXPECT_EQ(to_f32(*f.tensor("c")), (std::vector<float>{1.5f, -3.0f}));
  EXPECT_EQ(f.tensor("missing"), nullptr);
}

TEST(Safetensors, EmptyTensorAndEmptyHeaderAreValid) {
  EXPECT_EQ(parse_error(SafetensorsBuilder::image("{}", {})), "");
  SafetensorsBuilder b;
  b.add("empty", "F32", {0, 4}, {});
  EXPECT_EQ(parse_error(b.bytes()), "");
}

TEST(Safetensors, RejectsMalformedFiles) {
  const std::vector<uint8_t> data(16, 0);
  const auto image = [&](const std::string& h) { return SafetensorsBuilder::image(h, data); };
  EXPECT_NE(parse_error({1, 2, 3}).find("too small"), std::string::npos);
  std::vector<uint8_t> huge(8, 0xff);
  EXPECT_NE(parse_error(huge).find("100 MB"), std::string::npos);
  std::vector<uint8_t> past = SafetensorsBuilder::image("{}", {});
  past[0] = 50;  // header claims 50 bytes, file has 2
  EXPECT_NE(parse_error(past).find("past the end"), std::string::npos);
  // Header -> a piece of the error it must give (16 bytes of data follow).
  const std::pair<std::string, std::string> bad_headers[] = {
      {"{nope", "not valid JSON"},
      {"[1]", "not a JSON object"},
      {R"({"t":{"dtype":"Q4","shape":[4],"data_offsets":[0,4]}})", "unsupported dtype"},
      {R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", "shape needs"},
      {R"({"t":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})", "outside"},
      {R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})", "outside"},
      {R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", "non-negative"},
      {R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", "data_offsets"},
      {R"({"t":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}})", "overflow"},
      {R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
       "overlap"},
      {R"({"__metadata__":{"k":1}})", "__metadata__"},
  };
  for (const auto& [header, expected] : bad_headers) {
    EXPECT_NE(parse_error(image(header)).find(expected), std::string::npos) << header << " -> " << parse_error(image(header));
  }
}

TEST(Safetensors, IntegerTensorsAreNotConvertedToFloat) {
  const std::vector<uint8_t> data(8, 0);
  const SafetensorsFile f =
      SafetensorsFile::parse(SafetensorsBuilder::image(R"({"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", data));
  EXPECT_THROW(to_f32(*f.tensor("i")), Error);
}

}  // namespace
}  // namespace pagoda::convert
