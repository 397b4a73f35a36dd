// File: typed metadata look-ups, opening from disk, and hand-built images
// that are valid (v2, no tensors, tensors in unusual order).
#include "gguf/file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <limits>

#include "gguf_test_util.h"
#include "shared_data.h"

namespace pagoda::gguf {
namespace {

using testing::Bytes;
using testing::kF32;
using testing::kQ4_0;

void write_file(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

File metadata_file() {
  Writer w;
  w.set("u8", Value::u8(200));
  w.set("i32", Value::i32(-5));
  w.set("u64.big", Value::u64(std::numeric_limits<uint64_t>::max()));
  w.set("f32", Value::f32(0.25f));
  w.set("flag", Value::boolean(true));
  w.set("name", Value::string("tiny"));
  w.set("tokens", Value::string_array({"a", "b"}));
  return File::parse(w.to_bytes());
}

TEST(FileTest, TypedGetters) {
  const File f = metadata_file();
  EXPECT_EQ(f.get_int("u8"), 200);
  EXPECT_EQ(f.get_int("i32"), -5);
  EXPECT_EQ(f.get_float("f32"), 0.25);
  EXPECT_EQ(f.get_float("i32"), -5.0);  // integers widen to float
  EXPECT_EQ(f.get_bool("flag"), true);
  EXPECT_EQ(f.get_string("name"), "tiny");
  const Array* tokens = f.get_array("tokens");
  ASSERT_NE(tokens, nullptr);
  EXPECT_EQ(tokens->element_type, ValueType::STRING);
  EXPECT_EQ(tokens->items.size(), 2u);
  EXPECT_TRUE(f.has("name"));
  EXPECT_EQ(f.find("name"), &f.metadata()[5].second);
}

TEST(FileTest, AbsentKeys) {
  const File f = metadata_file();
  EXPECT_FALSE(f.has("nope"));
  EXPECT_EQ(f.find("nope"), nullptr);
  EXPECT_EQ(f.get_int("nope"), std::nullopt);
  EXPECT_EQ(f.get_float("nope"), std::nullopt);
  EXPECT_EQ(f.get_bool("nope"), std::nullopt);
  EXPECT_EQ(f.get_string("nope"), std::nullopt);
  EXPECT_EQ(f.get_array("nope"), nullptr);
}

TEST(FileTest, WrongTypesNameKeyAndTypes) {
  const File f = metadata_file();
  EXPECT_GGUF_ERROR(f.get_int("name"), "metadata key \"name\": expected an integer, got string");
  EXPECT_GGUF_ERROR(f.get_int("f32"), "\"f32\": expected an integer, got float32");
  EXPECT_GGUF_ERROR(f.get_int("u64.big"), "\"u64.big\": expected an int64, got uint64");
  EXPECT_GGUF_ERROR(f.get_float("tokens"), "\"tokens\": expected a number, got array");
  EXPECT_GGUF_ERROR(f.get_bool("u8"), "\"u8\": expected a bool, got uint8");
  EXPECT_GGUF_ERROR(f.get_string("flag"), "\"flag\": expected a string, got bool");
  EXPECT_GGUF_ERROR(f.get_array("name"), "\"name\": expected an array, got string");
}

TEST(FileTest, ReadsVersion2) {
  // v2 differs from v3 only in name; both use u64 counts and lengths.
  Bytes b;
  b.header(/*n_tensors=*/2, /*n_metadata=*/3, /*version=*/2)
      .kv_str("general.architecture", "llama")
      .kv_u32("llama.context_length", 2048)
      .key("scores", ValueType::ARRAY).u32(static_cast<uint32_t>(ValueType::FLOAT32)).u64(2).put(1.5f).put(-2.0f)
      .tensor_info("tok_embd", {32, 2}, kQ4_0, 0)
      .tensor_info("norm", {4}, kF32, 64)
      .pad_to(32);
  const size_t data_start = b.size();
  b.zeros(36).pad_to(32).put(1.0f).put(2.0f).put(3.0f).put(4.0f);

  const File f = File::parse(b.bytes());
  EXPECT_EQ(f.version(), 2u);
  EXPECT_EQ(f.data_offset(), data_start);
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_int("llama.context_length"), 2048);
  EXPECT_EQ(f.get_array("scores")->items[1].as_float(), -2.0);
  ASSERT_EQ(f.tensors().size(), 2u);
  const TensorInfo* tok = f.tensor("tok_embd");
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->type, quant::TensorType::Q4_0);
  EXPECT_EQ(tok->nbytes, 36u);
  EXPECT_EQ(tok->n_elements(), 64);
  EXPECT_EQ(tok->n_rows(), 2);
  const TensorInfo* norm = f.tensor("norm");
  ASSERT_NE(norm, nullptr);
  float last = 0;
  std::memcpy(&last, norm->data + 12, 4);
  EXPECT_EQ(last, 4.0f);
}

TEST(FileTest, TensorsMayBeStoredOutOfOrder) {
  Bytes b;
  b.header(2, 0).tensor_info("second", {8}, kF32, 32).tensor_info("first", {8}, kF32, 0).pad_to(32);
  b.zeros(64);
  const File f = File::parse(b.bytes());
  EXPECT_EQ(f.tensors()[0].name, "second");
  EXPECT_EQ(f.tensors()[0].data - f.tensors()[1].data, 32);
}

TEST(FileTest, ZeroTensorsNeedNoPadding) {
  Bytes b;
  b.header(0, 1).kv_u32("k", 1);  // 24 + 17 bytes, not a multiple of 32
  const File f = File::parse(b.bytes());
  EXPECT_EQ(f.get_int("k"), 1);
  EXPECT_EQ(f.data_offset(), f.file_size());
}

TEST(FileTest, ZeroSizedTensorMayShareAnOffset) {
  Bytes b;
  b.header(2, 0).tensor_info("empty", {0, 4}, kF32, 0).tensor_info("x", {8}, kF32, 0).pad_to(32).zeros(32);
  const File f = File::parse(b.bytes());
  EXPECT_EQ(f.tensor("empty")->nbytes, 0u);
  EXPECT_EQ(f.tensor("empty")->n_rows(), 0);
}

TEST(FileTest, OpenReadsFromDisk) {
  const auto dir = pagoda::testing::test_temp_dir();
  const std::string path = (dir / "small.gguf").string();
  const auto bytes = testing::small_valid_image();
  write_file(path, bytes);
  const File f = File::open(path);
  EXPECT_EQ(f.file_size(), bytes.size());
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.tensor("b")->data[17], bytes.back());
  std::filesystem::remove_all(dir);
}

TEST(FileTest, OpenErrorsStartWithPath) {
  const auto dir = pagoda::testing::test_temp_dir();
  const std::string missing = (dir / "missing.gguf").string();
  EXPECT_GGUF_ERROR(File::open(missing), missing + ": cannot open");
  EXPECT_GGUF_ERROR(File::open(dir.string()), dir.string() + ": not a regular file");

  const std::string empty = (dir / "empty.gguf").string();
  write_file(empty, {});
  EXPECT_GGUF_ERROR(File::open(empty), empty + ": truncated while reading magic");

  const std::string bad = (dir / "bad.gguf").string();
  auto bytes = testing::small_valid_image();
  bytes[0] = 'X';
  write_file(bad, bytes);
  EXPECT_GGUF_ERROR(File::open(bad), bad + ": not a GGUF file: bad magic");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pagoda::gguf
