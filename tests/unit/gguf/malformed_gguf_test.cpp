// A corpus of hand-made hostile images: each must be rejected by
// File::parse with one pagoda::Error naming the defect.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "gguf_test_util.h"

namespace pagoda::gguf {
namespace {

using testing::Bytes;
using testing::kF32;
using testing::kQ4_0;

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();
constexpr uint32_t kQ4_K = 12;

uint32_t vt(ValueType t) { return static_cast<uint32_t>(t); }

// A metadata entry of 90 bytes that lets later entries be truncated without
// tripping the up-front "count cannot fit" checks.
Bytes& filler(Bytes& b) { return b.kv_str("filler", std::string(64, 'x')); }

// A name long enough that one tensor info passes the up-front count check
// even when the bytes after it are cut short.
const std::string kLongName(40, 'n');

// One tensor info, padding to 32, then `data_bytes` of data.
Bytes one_tensor(const std::string& name, const std::vector<int64_t>& dims, uint32_t type,
                 uint64_t offset, size_t data_bytes) {
  Bytes b;
  b.header(1, 0).tensor_info(name, dims, type, offset).pad_to(32).zeros(data_bytes);
  return b;
}

struct BadCase {
  std::string name;
  std::function<Bytes()> build;
  std::string expected;  // a substring of the error message
};

std::vector<BadCase> header_cases() {
  return {
      {"Empty", [] { return Bytes(); }, "truncated while reading magic"},
      {"ShortMagic", [] { return Bytes().raw("GG"); }, "truncated while reading magic"},
      {"BadMagic", [] { return Bytes().raw("GGUX").u32(3).u64(0).u64(0); },
       "not a GGUF file: bad magic \"GGUX\""},
      {"TruncatedVersion", [] { return Bytes().raw("GGUF").u8(3).u8(0); }, "truncated while reading version"},
      {"Version0", [] { return Bytes().header(0, 0, 0); }, "unsupported GGUF version 0"},
      {"Version1", [] { return Bytes().header(0, 0, 1); }, "GGUF version 1 is not supported"},
      {"Version4", [] { return Bytes().header(0, 0, 4); }, "unsupported GGUF version 4"},
      {"BigEndianVersion", [] { return Bytes().raw("GGUF").u32(0x03000000).u64(0).u64(0); }, "big-endian"},
      {"TruncatedTensorCount", [] { return Bytes().raw("GGUF").u32(3).u32(0); },
       "truncated while reading tensor count"},
      {"TruncatedMetadataCount", [] { return Bytes().raw("GGUF").u32(3).u64(0).u32(0); },
       "truncated while reading metadata count"},
      {"HugeTensorCount", [] { return Bytes().header(uint64_t{1} << 62, 0).zeros(100); },
       "tensor count 4611686018427387904 cannot fit in the 100 bytes left"},
      {"HugeMetadataCount", [] { return Bytes().header(0, kU64Max).zeros(100); },
       "metadata count 18446744073709551615 cannot fit"},
      {"CountsTogetherTooLarge", [] { return Bytes().header(2, 5).zeros(100); },
       "metadata count 5 and tensor count 2 cannot fit"},
  };
}

std::vector<BadCase> metadata_cases() {
  return {
      {"TruncatedKeyLength", [] { Bytes b; filler(b.header(0, 2)).u32(0); return b; },
       "truncated while reading key length of metadata entry 1"},
      {"TruncatedKey", [] { Bytes b; filler(b.header(0, 2)).u64(100).raw("abc"); return b; },
       "truncated while reading key of metadata entry 1 (needs 100 bytes, 3 left)"},
      {"KeyLengthHuge", [] { Bytes b; filler(b.header(0, 2)).u64(kU64Max).raw("abc"); return b; },
       "metadata entry 1: key is 18446744073709551615 bytes long (limit 65535)"},
      {"EmptyKey", [] { return Bytes().header(0, 1).str("").u32(vt(ValueType::UINT8)).u8(1).zeros(1); },
       "metadata entry 0: empty key"},
      {"OverlongKey",
       [] { return Bytes().header(0, 1).str(std::string(65536, 'k')).u32(vt(ValueType::UINT8)).u8(1); },
       "key is 65536 bytes long (limit 65535)"},
      {"TruncatedValueType", [] { Bytes b; filler(b.header(0, 2)).str("k").u8(8); return b; },
       "truncated while reading value type of metadata entry 1 (key \"k\")"},
      {"UnknownValueType", [] { return Bytes().header(0, 1).str("k").u32(13).u64(0); },
       "metadata entry 0 (key \"k\"): unknown value type 13"},
      {"UnknownValueTypeMax", [] { return Bytes().header(0, 1).str("k").u32(0xFFFFFFFF).u64(0); },
       "unknown value type 4294967295"},
      {"TruncatedScalar", [] { Bytes b; filler(b.header(0, 2)).key("k", ValueType::UINT64).u8(1).u8(2); return b; },
       "truncated while reading value of metadata entry 1 (key \"k\") (needs 8 bytes, 2 left)"},
      {"InvalidBool", [] { return Bytes().header(0, 1).key("flag", ValueType::BOOL).u8(2); },
       "(key \"flag\"): invalid bool byte 2 (must be 0 or 1)"},
      {"DuplicateKey", [] { return Bytes().header(0, 2).kv_u32("a", 1).kv_u32("a", 2); },
       "duplicate metadata key \"a\" (entries 0 and 1)"},
      {"DuplicateBinaryKey", [] { return Bytes().header(0, 2).kv_u32("\x01k", 1).kv_u32("\x01k", 2); },
       "duplicate metadata key \"\\x01k\""},
      {"TruncatedString", [] { return Bytes().header(0, 1).key("s", ValueType::STRING).u64(50).raw("abc"); },
       "truncated while reading string of metadata entry 0 (key \"s\") (needs 50 bytes, 3 left)"},
      {"StringLengthHuge",
       [] { return Bytes().header(0, 1).key("s", ValueType::STRING).u64(kU64Max).raw("abc"); },
       "truncated while reading string of metadata entry 0 (key \"s\") (needs 18446744073709551615 bytes"},
      {"TruncatedArrayCount",
       [] { Bytes b; filler(b.header(0, 2)).key("a", ValueType::ARRAY).u32(vt(ValueType::UINT8)).u32(0); return b; },
       "truncated while reading array count of metadata entry 1"},
      {"ArrayCountBeyondFile",
       [] { return Bytes().header(0, 1).key("a", ValueType::ARRAY).u32(vt(ValueType::UINT32)).u64(1000).zeros(8); },
       "array count 1000 of uint32 cannot fit in the 8 bytes left"},
      {"ArrayCountHuge",
       [] { return Bytes().header(0, 1).key("a", ValueType::ARRAY).u32(vt(ValueType::STRING)).u64(kU64Max).zeros(8); },
       "array count 18446744073709551615 exceeds the limit"},
      {"ArrayCountOverValueLimit",
       [] { return Bytes().header(0, 1).key("a", ValueType::ARRAY).u32(vt(ValueType::UINT8)).u64((1 << 24) + 1).zeros(8); },
       "array count 16777217 exceeds the limit of 16777216 metadata values"},
      {"ArrayUnknownElementType",
       [] { return Bytes().header(0, 1).key("a", ValueType::ARRAY).u32(99).u64(0); },
       "metadata entry 0 (key \"a\"): unknown value type 99"},
      {"ArraysNestedTooDeep",
       [] {
         Bytes b;
         b.header(0, 1).key("deep", ValueType::ARRAY);
         for (int i = 0; i < 8; ++i) b.u32(vt(ValueType::ARRAY)).u64(1);
         return b.u32(vt(ValueType::UINT8)).u64(1).u8(0);
       },
       "at array index [0][0][0][0][0][0][0][0]: arrays nested more than 8 deep"},
      {"TruncatedArrayElement",
       [] {
         return Bytes().header(0, 1).key("toks", ValueType::ARRAY).u32(vt(ValueType::STRING)).u64(3)
             .str("a").str("b").u64(10).raw("c");
       },
       "truncated while reading string of metadata entry 0 (key \"toks\") at array index [2]"},
      {"InvalidBoolInNestedArray",
       [] {
         return Bytes().header(0, 1).key("n", ValueType::ARRAY).u32(vt(ValueType::ARRAY)).u64(2)
             .u32(vt(ValueType::BOOL)).u64(1).u8(1)
             .u32(vt(ValueType::BOOL)).u64(2).u8(0).u8(7);
       },
       "(key \"n\") at array index [1][1]: invalid bool byte 7"},
      {"AlignmentString", [] { return Bytes().header(0, 1).kv_str("general.alignment", "32"); },
       "general.alignment must be uint32, got string"},
      {"AlignmentU64", [] { return Bytes().header(0, 1).key("general.alignment", ValueType::UINT64).u64(32); },
       "general.alignment must be uint32, got uint64"},
      {"AlignmentZero", [] { return Bytes().header(0, 1).kv_u32("general.alignment", 0); },
       "general.alignment is 0; it must be a power of two"},
      {"AlignmentNotPowerOfTwo", [] { return Bytes().header(0, 1).kv_u32("general.alignment", 48); },
       "general.alignment is 48; it must be a power of two"},
  };
}

std::vector<BadCase> tensor_cases() {
  const auto info_prefix = [](uint64_t n_tensors) {
    Bytes b;
    b.header(n_tensors, 0);
    return b;
  };
  return {
      {"EmptyTensorName", [] { return one_tensor("", {8}, kF32, 0, 32); }, "tensor info 0: empty tensor name"},
      {"OverlongTensorName", [] { return one_tensor(std::string(65536, 't'), {8}, kF32, 0, 32); },
       "tensor name is 65536 bytes long (limit 65535)"},
      {"TruncatedTensorName",
       [=] { return info_prefix(2).tensor_info(kLongName, {8}, kF32, 0).u64(1000).raw("xyz"); },
       "truncated while reading tensor name of tensor info 1 (needs 1000 bytes, 3 left)"},
      {"TruncatedDimensionCount", [=] { return info_prefix(1).str(kLongName).u8(1); },
       "truncated while reading dimension count of tensor info 0"},
      {"TruncatedDims", [=] { return info_prefix(1).str(kLongName).u32(2).i64(8); },
       "truncated while reading dimension of tensor info 0 (\"" + kLongName + "\")"},
      {"TruncatedType", [=] { return info_prefix(1).str(kLongName).u32(1).i64(8).u8(0); },
       "truncated while reading type of tensor info 0"},
      {"TruncatedOffset", [=] { return info_prefix(1).str(kLongName).u32(1).i64(8).u32(kF32).u32(0); },
       "truncated while reading offset of tensor info 0"},
      {"ZeroDims", [=] { return info_prefix(1).str("t").u32(0).u32(kF32).u64(0).pad_to(32).zeros(32); },
       "tensor info 0 (\"t\"): 0 dimensions (must be 1 to 4)"},
      {"FiveDims",
       [=] {
         Bytes b = info_prefix(1);
         b.str("t").u32(5);
         for (int i = 0; i < 5; ++i) b.i64(1);
         return b.u32(kF32).u64(0).pad_to(32).zeros(32);
       },
       "tensor info 0 (\"t\"): 5 dimensions (must be 1 to 4)"},
      {"HugeDimCount", [=] { return info_prefix(1).str("t").u32(0xFFFFFFFF).zeros(64); },
       "4294967295 dimensions"},
      {"NegativeDim", [] { return one_tensor("t", {8, -2}, kF32, 0, 32); },
       "tensor info 0 (\"t\"): dimension 1 is negative (-2)"},
      {"ElementCountOverflow", [] { return one_tensor("t", {int64_t{1} << 32, int64_t{1} << 32}, kF32, 0, 32); },
       "element count overflows int64"},
      {"ByteSizeOverflow", [] { return one_tensor("t", {int64_t{1} << 31, int64_t{1} << 31}, kF32, 0, 32); },
       "byte size overflows int64"},
      {"NotMultipleOfBlockSize", [] { return one_tensor("t", {33}, kQ4_0, 0, 64); },
       "dims[0] = 33 is not a multiple of the q4_0 block size 32"},
      {"RowNotMultipleOfSuperBlock", [] { return one_tensor("t", {128, 2}, kQ4_K, 0, 160); },
       "dims[0] = 128 is not a multiple of the q4_K block size 256"},
      {"UnknownTypeId", [] { return one_tensor("t", {8}, 99, 0, 32); }, "tensor info 0 (\"t\"): unknown tensor type id 99"},
      {"RemovedTypeId", [] { return one_tensor("t", {8}, 4, 0, 32); }, "unknown tensor type id 4"},
      {"MisalignedOffset", [] { return one_tensor("t", {8}, kF32, 16, 64); },
       "tensor info 0 (\"t\"): offset 16 is not a multiple of the alignment 32"},
      {"MisalignedForCustomAlignment",
       [] {
         return Bytes().header(1, 1).kv_u32("general.alignment", 64).tensor_info("t", {8}, kF32, 32)
             .pad_to(64).zeros(96);
       },
       "offset 32 is not a multiple of the alignment 64"},
      {"DataPastEnd", [] { return one_tensor("t", {16}, kF32, 0, 32); },
       "tensor \"t\": data (offset 0, 64 bytes) extends past the end of the file (the data section holds 32 bytes)"},
      {"OffsetPastEnd", [] { return one_tensor("t", {8}, kF32, uint64_t{1} << 40, 32); },
       "tensor \"t\": data (offset 1099511627776, 32 bytes) extends past the end"},
      {"OffsetPlusSizeOverflows", [] { return one_tensor("t", {8}, kF32, kU64Max - 31, 32); },
       "extends past the end"},
      {"TruncatedPadding", [=] { return info_prefix(1).tensor_info(kLongName + "x", {8}, kF32, 0).zeros(3); },
       "truncated while reading the padding before the tensor data"},
      {"OverlappingTensors",
       [=] { return info_prefix(2).tensor_info("a", {16}, kF32, 0).tensor_info("b", {8}, kF32, 32).pad_to(32).zeros(64); },
       "tensors \"a\" and \"b\" overlap"},
      {"TensorsAtSameOffset",
       [=] { return info_prefix(2).tensor_info("a", {8}, kF32, 0).tensor_info("b", {8}, kF32, 0).pad_to(32).zeros(64); },
       "tensors \"a\" and \"b\" overlap"},
      {"OverlapAcrossEmptyTensor",
       [=] {
         // The empty "e" sorts between "a" and "c" but occupies nothing, so
         // "c" must still be checked against "a".
         return info_prefix(3).tensor_info("a", {32}, kF32, 0).tensor_info("e", {0}, kF32, 64)
             .tensor_info("c", {8}, kF32, 96).pad_to(32).zeros(128);
       },
       "tensors \"a\" and \"c\" overlap"},
      {"DuplicateTensorName",
       [=] { return info_prefix(2).tensor_info("w", {8}, kF32, 0).tensor_info("w", {8}, kF32, 32).pad_to(32).zeros(64); },
       "duplicate tensor name \"w\" (tensor infos 0 and 1)"},
  };
}

std::vector<BadCase> all_cases() {
  std::vector<BadCase> all;
  for (auto* group : {&header_cases, &metadata_cases, &tensor_cases}) {
    for (auto& c : (*group)()) all.push_back(std::move(c));
  }
  return all;
}

class MalformedGgufTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(MalformedGgufTest, IsRejectedWithClearMessage) {
  const std::vector<uint8_t> bytes = GetParam().build();
  EXPECT_GGUF_ERROR(File::parse(bytes), GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(Corpus, MalformedGgufTest, ::testing::ValuesIn(all_cases()),
                         [](const auto& info) { return info.param.name; });

TEST(MalformedGgufCorpus, IsLargeEnough) { EXPECT_GE(all_cases().size(), 30u); }

// The builders above differ from valid images only in the defect: these
// near-identical images parse.
TEST(MalformedGgufCorpus, ControlsAreValid) {
  EXPECT_NO_THROW(File::parse(one_tensor("t", {8}, kF32, 0, 32).bytes()));
  EXPECT_NO_THROW(File::parse(one_tensor("t", {32}, kQ4_0, 0, 32).bytes()));
  EXPECT_NO_THROW(File::parse(Bytes().header(0, 1).kv_u32("general.alignment", 64).bytes()));
  EXPECT_NO_THROW(File::parse(Bytes().header(0, 1).key("flag", ValueType::BOOL).u8(1).bytes()));
  EXPECT_NO_THROW(File::parse(Bytes().header(2, 0).tensor_info("a", {8}, kF32, 0)
                                  .tensor_info("b", {8}, kF32, 32).pad_to(32).zeros(64).bytes()));
  Bytes deep;
  deep.header(0, 1).key("deep", ValueType::ARRAY);
  for (int i = 0; i < 7; ++i) deep.u32(vt(ValueType::ARRAY)).u64(1);
  deep.u32(vt(ValueType::UINT8)).u64(1).u8(0);
  EXPECT_NO_THROW(File::parse(deep.bytes()));
}

// Every proper prefix of a valid image is an error, never a crash.
TEST(MalformedGgufCorpus, EveryTruncationIsRejected) {
  const auto bytes = testing::small_valid_image();
  ASSERT_NO_THROW(File::parse(bytes));
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_THROW(File::parse(std::span(bytes.data(), n)), Error) << "prefix of " << n << " bytes";
  }
}

// Corrupting any single byte yields a valid file or a pagoda::Error: no
// crash, no other exception (such as bad_alloc from a trusted count).
TEST(MalformedGgufCorpus, SingleByteCorruptionsAreHandled) {
  const auto original = testing::small_valid_image();
  size_t rejected = 0;
  for (size_t i = 0; i < original.size(); ++i) {
    for (uint8_t value : {uint8_t{0x00}, uint8_t{0xff}, uint8_t{0x7f}, uint8_t{0x80},
                          static_cast<uint8_t>(original[i] ^ 1)}) {
      auto bytes = original;
      bytes[i] = value;
      try {
        File::parse(bytes);
      } catch (const Error&) {
        ++rejected;
      }
    }
  }
  EXPECT_GT(rejected, 0u);
}

}  // namespace
}  // namespace pagoda::gguf
