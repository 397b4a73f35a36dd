// Writer -> File round trips: every value type, nested and empty arrays,
// several tensor types, two alignments, through memory and through disk.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>

#include "gguf/file.h"
#include "gguf/writer.h"
#include "gguf_test_util.h"
#include "shared_data.h"

namespace pagoda::gguf {
namespace {

using quant::TensorType;
using testing::all_kinds_of_metadata;
using testing::make_writer;
using testing::pattern;
using testing::several_tensors;

void expect_contents(const File& f, uint32_t alignment) {
  EXPECT_EQ(f.version(), 3u);
  EXPECT_EQ(f.alignment(), alignment);
  EXPECT_EQ(f.data_offset() % alignment, 0u);

  const auto expected_metadata = all_kinds_of_metadata();
  const size_t extra = alignment != kDefaultAlignment ? 1 : 0;
  ASSERT_EQ(f.metadata().size(), expected_metadata.size() + extra);
  for (size_t i = 0; i < expected_metadata.size(); ++i) {
    EXPECT_EQ(f.metadata()[i].first, expected_metadata[i].first);  // insertion order kept
    EXPECT_EQ(f.metadata()[i].second, expected_metadata[i].second) << expected_metadata[i].first;
  }

  const auto expected_tensors = several_tensors();
  ASSERT_EQ(f.tensors().size(), expected_tensors.size());
  for (size_t i = 0; i < expected_tensors.size(); ++i) {
    const auto& want = expected_tensors[i];
    const TensorInfo& got = f.tensors()[i];
    SCOPED_TRACE(want.name);
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.type, want.type);
    EXPECT_EQ(got.dims, want.dims);
    EXPECT_EQ(got.nbytes, want.data.size());
    EXPECT_EQ(got.offset % alignment, 0u);
    EXPECT_EQ(f.tensor(want.name), &got);
    ASSERT_NE(got.data, nullptr);
    // Mappings are page-aligned and in-memory copies 64-byte aligned.
    EXPECT_EQ(reinterpret_cast<uintptr_t>(got.data) % std::min<uint32_t>(alignment, 64), 0u);
    EXPECT_TRUE(std::equal(want.data.begin(), want.data.end(), got.data));
  }
  EXPECT_EQ(f.tensor("missing"), nullptr);
}

class RoundTripTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(RoundTripTest, ThroughMemory) {
  const Writer w = make_writer(GetParam());
  const File f = File::parse(w.to_bytes());
  expect_contents(f, GetParam());
}

TEST_P(RoundTripTest, ThroughDisk) {
  const auto dir = pagoda::testing::test_temp_dir();
  const std::string path = (dir / "model.gguf").string();
  const Writer w = make_writer(GetParam());
  w.write(path);
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp"));

  // The streamed file is the same image as to_bytes().
  std::ifstream in(path, std::ios::binary);
  const std::vector<uint8_t> on_disk{std::istreambuf_iterator<char>(in), {}};
  EXPECT_EQ(on_disk, w.to_bytes());

  const File f = File::open(path);
  EXPECT_EQ(f.file_size(), on_disk.size());
  expect_contents(f, GetParam());
  std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Alignments, RoundTripTest, ::testing::Values(32u, 64u, 1u, 4096u),
                         [](const auto& info) { return "Align" + std::to_string(info.param); });

TEST(RoundTripTest, MovedFileKeepsDataPointers) {
  File f = File::parse(make_writer(32).to_bytes());
  const uint8_t* data = f.tensors()[0].data;
  File moved = std::move(f);
  EXPECT_EQ(moved.tensors()[0].data, data);
  EXPECT_EQ(moved.tensors()[0].data[0], several_tensors()[0].data[0]);
}

TEST(RoundTripTest, VocabularySizedArrays) {
  // The shape of a real tokenizer: ~150k tokens with scores and types.
  constexpr int kTokens = 150000;
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (int i = 0; i < kTokens; ++i) {
    tokens.push_back("tok" + std::to_string(i));
    scores.push_back(-static_cast<float>(i));
    types.push_back(i % 6);
  }
  Writer w;
  w.set("tokenizer.ggml.tokens", Value::string_array(tokens));
  w.set("tokenizer.ggml.scores", Value::f32_array(scores));
  w.set("tokenizer.ggml.token_type", Value::i32_array(types));
  const File f = File::parse(w.to_bytes());
  const Array* got = f.get_array("tokenizer.ggml.tokens");
  ASSERT_NE(got, nullptr);
  ASSERT_EQ(got->items.size(), static_cast<size_t>(kTokens));
  EXPECT_EQ(got->items[kTokens - 1].as_string(), "tok149999");
  EXPECT_EQ(f.get_array("tokenizer.ggml.scores")->items[7].as_float(), -7.0);
  EXPECT_EQ(f.get_array("tokenizer.ggml.token_type")->items[7].as_int(), 1);
}

TEST(RoundTripTest, EmptyWriter) {
  const File f = File::parse(Writer().to_bytes());
  EXPECT_TRUE(f.metadata().empty());
  EXPECT_TRUE(f.tensors().empty());
}

TEST(RoundTripTest, LayoutOfSmallImage) {
  // Header, one key, one tensor info, padding to 32, data, padding to 32.
  Writer w;
  w.set("k", Value::u8(9));
  w.add_tensor("t", TensorType::F32, {3}, pattern(12));
  const auto bytes = w.to_bytes();
  const size_t header = 4 + 4 + 8 + 8;
  const size_t kv = 8 + 1 + 4 + 1;
  const size_t info = 8 + 1 + 4 + 8 + 4 + 8;
  const size_t data_start = (header + kv + info + 31) / 32 * 32;
  EXPECT_EQ(bytes.size(), data_start + 32);
  EXPECT_EQ(File::parse(bytes).data_offset(), data_start);
}

TEST(WriterTest, SetReplacesInPlace) {
  Writer w;
  w.set("a", Value::u32(1));
  w.set("b", Value::u32(2));
  w.set("c", Value::u32(3));
  w.set("b", Value::string("two"));
  const File f = File::parse(w.to_bytes());
  ASSERT_EQ(f.metadata().size(), 3u);
  EXPECT_EQ(f.metadata()[0].first, "a");
  EXPECT_EQ(f.metadata()[1].first, "b");
  EXPECT_EQ(f.metadata()[1].second, Value::string("two"));
  EXPECT_EQ(f.metadata()[2].first, "c");
}

TEST(WriterTest, AlignmentCanBeSetAfterTensors) {
  Writer w;
  w.add_tensor("t", TensorType::F32, {3}, pattern(12));
  w.add_tensor("u", TensorType::F32, {3}, pattern(12));
  w.set("general.alignment", Value::u32(128));
  const File f = File::parse(w.to_bytes());
  EXPECT_EQ(f.alignment(), 128u);
  EXPECT_EQ(f.tensors()[1].offset, 128u);
}

TEST(WriterTest, RejectsDataOfWrongSize) {
  Writer w;
  EXPECT_GGUF_ERROR(w.add_tensor("t", TensorType::F32, {4}, pattern(15)), "15 bytes of data");
  EXPECT_GGUF_ERROR(w.add_tensor("q", TensorType::Q4_0, {32, 2}, pattern(18)), "need 36");
}

TEST(WriterTest, RejectsBadTensors) {
  Writer w;
  w.add_tensor("t", TensorType::F32, {1}, pattern(4));
  EXPECT_GGUF_ERROR(w.add_tensor("t", TensorType::F32, {1}, pattern(4)), "duplicate tensor name \"t\"");
  EXPECT_GGUF_ERROR(w.add_tensor("", TensorType::F32, {1}, pattern(4)), "empty tensor name");
  EXPECT_GGUF_ERROR(w.add_tensor(std::string(70000, 'n'), TensorType::F32, {1}, pattern(4)), "limit 65535");
  EXPECT_GGUF_ERROR(w.add_tensor("d0", TensorType::F32, {}, {}), "0 dimensions");
  EXPECT_GGUF_ERROR(w.add_tensor("d5", TensorType::F32, {1, 1, 1, 1, 1}, pattern(4)), "5 dimensions");
  EXPECT_GGUF_ERROR(w.add_tensor("neg", TensorType::F32, {1, -1}, {}), "negative");
  EXPECT_GGUF_ERROR(w.add_tensor("blk", TensorType::Q8_0, {16}, pattern(17)), "block size 32");
  EXPECT_GGUF_ERROR(w.add_tensor("big", TensorType::F32, {int64_t{1} << 40, int64_t{1} << 40}, {}), "overflow");
  EXPECT_GGUF_ERROR(w.add_tensor("type", static_cast<TensorType>(4), {1}, pattern(4)), "unknown tensor type id 4");
  // A rejected tensor leaves nothing behind.
  EXPECT_EQ(File::parse(w.to_bytes()).tensors().size(), 1u);
}

TEST(WriterTest, RejectsBadMetadata) {
  Writer w;
  EXPECT_GGUF_ERROR(w.set("", Value::u8(1)), "empty metadata key");
  EXPECT_GGUF_ERROR(w.set(std::string(65536, 'k'), Value::u8(1)), "limit 65535");
  EXPECT_GGUF_ERROR(w.set("general.alignment", Value::u64(32)), "must be uint32, got uint64");
  EXPECT_GGUF_ERROR(w.set("general.alignment", Value::u32(0)), "power of two");
  EXPECT_GGUF_ERROR(w.set("general.alignment", Value::u32(24)), "power of two");
  Value deep = Value::u8(1);
  for (int i = 0; i < 9; ++i) deep = Value::array(deep.type(), {deep});
  EXPECT_GGUF_ERROR(w.set("deep", deep), "nested more than 8 deep");
  EXPECT_TRUE(File::parse(w.to_bytes()).metadata().empty());
}

TEST(WriterTest, WriteReportsPath) {
  Writer w;
  const std::string path = "/nonexistent-dir-for-pagoda/x.gguf";
  EXPECT_GGUF_ERROR(w.write(path), path);
}

TEST(WriterTest, WriteReplacesExistingFile) {
  const auto dir = pagoda::testing::test_temp_dir();
  const std::string path = (dir / "m.gguf").string();
  Writer a;
  a.set("which", Value::string("first"));
  a.write(path);
  Writer b;
  b.set("which", Value::string("second"));
  b.write(path);
  EXPECT_EQ(File::open(path).get_string("which"), "second");
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace pagoda::gguf
