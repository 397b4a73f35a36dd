#pragma once
// Format constants and checks shared by the GGUF reader and writer, so that
// whatever the Writer accepts the parser accepts too.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "gguf/value.h"
#include "quant/tensor_type.h"

namespace pagoda::gguf::format {

constexpr char kMagic[4] = {'G', 'G', 'U', 'F'};
constexpr uint32_t kWriteVersion = 3;
constexpr std::string_view kAlignmentKey = "general.alignment";

// Limits a hostile file cannot push past. Keys and tensor names of real
// models are far shorter than 64 KiB.
constexpr uint64_t kMaxNameLength = 65535;
constexpr int kMaxArrayDepth = 8;
constexpr int kMaxDims = 4;
// Parsed values take ~50 bytes each however small their encoding, so the
// total is capped to bound memory: real models hold a few million at most
// (vocabulary, scores, token types, merges).
constexpr uint64_t kMaxMetadataValues = uint64_t{1} << 24;

// Smallest possible encodings, used to reject counts that cannot fit in the
// bytes left before anything is allocated for them.
constexpr uint64_t kMinMetadataEntryBytes = 8 + 1 + 4 + 1;            // key len, 1-byte key, type, u8
constexpr uint64_t kMinTensorInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;        // name len, name, n_dims, dim, type, offset

bool is_known_value_type(uint32_t id);
uint64_t min_encoded_size(ValueType type);

// Checks a tensor's shape and returns its byte size; pagoda::Error messages
// start with `who` (e.g. `tensor "blk.0.attn_q.weight"`).
uint64_t tensor_nbytes(const quant::TypeInfo& info, std::span<const int64_t> dims,
                       std::string_view who);

// Throws unless `value` is a valid general.alignment (u32, power of two).
uint32_t checked_alignment(const Value& value);

// Rounds `offset` up to a multiple of `alignment` (a power of two); throws
// if that overflows.
uint64_t align_up(uint64_t offset, uint64_t alignment);

// A name for error messages: quoted, non-printable bytes escaped, and
// shortened, since a hostile name may be long or binary.
std::string quote(std::string_view s);

}  // namespace pagoda::gguf::format
