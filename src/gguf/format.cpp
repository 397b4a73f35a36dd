#include "gguf/format.h"

#include <cstdio>

#include "core/error.h"

namespace pagoda::gguf::format {

bool is_known_value_type(uint32_t id) { return id <= static_cast<uint32_t>(ValueType::FLOAT64); }

uint64_t min_encoded_size(ValueType type) {
  switch (type) {
    case ValueType::UINT8:
    case ValueType::INT8:
    case ValueType::BOOL:
      return 1;
    case ValueType::UINT16:
    case ValueType::INT16:
      return 2;
    case ValueType::UINT32:
    case ValueType::INT32:
    case ValueType::FLOAT32:
      return 4;
    case ValueType::UINT64:
    case ValueType::INT64:
    case ValueType::FLOAT64:
    case ValueType::STRING:  // the u64 length
      return 8;
    case ValueType::ARRAY:  // u32 element type + u64 count
      return 12;
  }
  return 1;
}

uint64_t tensor_nbytes(const quant::TypeInfo& info, std::span<const int64_t> dims,
                       std::string_view who) {
  if (dims.empty() || dims.size() > static_cast<size_t>(kMaxDims)) {
    fail(who, ": ", dims.size(), " dimensions (must be 1 to ", kMaxDims, ")");
  }
  int64_t n_elements = 1;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] < 0) fail(who, ": dimension ", i, " is negative (", dims[i], ")");
    if (__builtin_mul_overflow(n_elements, dims[i], &n_elements)) {
      fail(who, ": the element count overflows int64 (dimension ", i, " is ", dims[i], ")");
    }
  }
  if (dims[0] % info.block_size != 0) {
    fail(who, ": dims[0] = ", dims[0], " is not a multiple of the ", info.name,
         " block size ", info.block_size);
  }
  int64_t nbytes = 0;
  if (__builtin_mul_overflow(n_elements / info.block_size, info.block_bytes, &nbytes)) {
    fail(who, ": the byte size overflows int64");
  }
  return static_cast<uint64_t>(nbytes);
}

uint32_t checked_alignment(const Value& value) {
  if (value.type() != ValueType::UINT32) {
    fail(kAlignmentKey, " must be uint32, got ", value_type_name(value.type()));
  }
  const uint64_t alignment = value.as_uint();
  if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
    fail(kAlignmentKey, " is ", alignment, "; it must be a power of two");
  }
  return static_cast<uint32_t>(alignment);
}

uint64_t align_up(uint64_t offset, uint64_t alignment) {
  uint64_t padded = 0;
  if (__builtin_add_overflow(offset, alignment - 1, &padded)) {
    fail("offset ", offset, " overflows when aligned to ", alignment);
  }
  return padded & ~(alignment - 1);
}

std::string quote(std::string_view s) {
  constexpr size_t kMaxShown = 64;
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[5];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
  if (s.size() > kMaxShown) out += str_cat("... (", s.size(), " bytes)");
  return out;
}

}  // namespace pagoda::gguf::format
