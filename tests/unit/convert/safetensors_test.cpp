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
  EXPECT_NE(parse_error(image("{nope")).find("not valid JSON"), std::string::npos);
  EXPECT_NE(parse_error(image("[1]")).find("not a JSON object"), std::string::npos);
  EXPECT_NE(parse_error(image(R"({"t":{"dtype":"Q4","shape":[4],"data_offsets":[0,4]}})")).find("unsupported dtype"),
            std::string::npos);
  EXPECT_NE(parse_error(image(R"({"t":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})")).find("shape needs"),
            std::string::npos);
  EXPECT_NE(parse_error(image(R"({"t":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}})")).find("outside"),
            std::string::npos);
  EXPECT_NE(parse_error(image(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}})")).find("outside"),
            std::string::npos);
  EXPECT_NE(parse_error(image(R"({"t":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})")).find("non-negative"),
            std::string::npos);
  EXPECT_NE(parse_error(image(R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}})")).find("data_offsets"),
            std::string::npos);
  EXPECT_NE(parse_error(image(R"({"t":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}})"))
                .find("overflow"),
            std::string::npos);
  EXPECT_NE(parse_error(image(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},)"
                              R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})"))
                .find("overlap"),
            std::string::npos);
  EXPECT_NE(parse_error(image(R"({"__metadata__":{"k":1}})")).find("__metadata__"), std::string::npos);
}

TEST(Safetensors, IntegerTensorsAreNotConvertedToFloat) {
  const std::vector<uint8_t> data(8, 0);
  const SafetensorsFile f =
      SafetensorsFile::parse(SafetensorsBuilder::image(R"({"i":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", data));
  EXPECT_THROW(to_f32(*f.tensor("i")), Error);
}

}  // namespace
}  // namespace pagoda::convert
