#include "gguf/parser.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>

#include "core/error.h"
#include "gguf/format.h"

namespace pagoda::gguf {

static_assert(std::endian::native == std::endian::little, "GGUF is read by memcpy: little-endian hosts only");

using format::quote;

void Parser::parse(const uint8_t* data, uint64_t size, File& file) {
  Parser parser(data, size, file);
  file.size_ = size;
  parser.parse_header();
  parser.parse_metadata();
  parser.parse_tensor_infos();
  parser.place_tensor_data();
}

std::string Parser::context() const {
  std::string where;
  switch (section_) {
    case Section::kHeader:
      return "the header";
    case Section::kMetadata:
      where = str_cat("metadata entry ", entry_);
      if (!entry_name_.empty()) where += str_cat(" (key ", quote(entry_name_), ")");
      break;
    case Section::kTensorInfos:
      where = str_cat("tensor info ", entry_);
      if (!entry_name_.empty()) where += str_cat(" (", quote(entry_name_), ")");
      break;
  }
  if (!array_path_.empty()) {
    where += " at array index ";
    for (uint64_t i : array_path_) where += str_cat("[", i, "]");
  }
  return where;
}

void Parser::need(uint64_t n, const char* what) const {
  if (n > remaining()) {
    fail("truncated while reading ", what, " of ", context(), " (needs ", n, " bytes, ",
         remaining(), " left)");
  }
}

template <typename T>
T Parser::read(const char* what) {
  need(sizeof(T), what);
  T v;
  std::memcpy(&v, data_ + pos_, sizeof(T));
  pos_ += sizeof(T);
  return v;
}

// Keys and tensor names: u64 length + bytes, non-empty and at most 64 KiB.
std::string Parser::read_name(const char* what, const char* empty_message) {
  const std::string length_what = str_cat(what, " length");
  const uint64_t length = read<uint64_t>(length_what.c_str());
  if (length == 0) fail(context(), ": ", empty_message);
  if (length > format::kMaxNameLength) {
    fail(context(), ": ", what, " is ", length, " bytes long (limit ", format::kMaxNameLength, ")");
  }
  need(length, what);
  std::string name(reinterpret_cast<const char*>(data_ + pos_), length);
  pos_ += length;
  return name;
}

ValueType Parser::read_value_type(const char* what) {
  const auto id = read<uint32_t>(what);
  if (!format::is_known_value_type(id)) fail(context(), ": unknown value type ", id);
  return static_cast<ValueType>(id);
}

void Parser::parse_header() {
  need(sizeof format::kMagic, "magic");
  if (std::memcmp(data_, format::kMagic, sizeof format::kMagic) != 0) {
    fail("not a GGUF file: bad magic ", quote({reinterpret_cast<const char*>(data_), 4}),
         " (expected \"GGUF\")");
  }
  pos_ = sizeof format::kMagic;
  const auto version = read<uint32_t>("version");
  if (version == 1) fail("GGUF version 1 is not supported (only versions 2 and 3 are)");
  if (version != 2 && version != 3) {
    const uint32_t swapped = __builtin_bswap32(version);
    if (swapped >= 1 && swapped <= 3) {
      fail("unsupported GGUF version ", version, ": a big-endian file? Only little-endian is supported");
    }
    fail("unsupported GGUF version ", version, " (only versions 2 and 3 are supported)");
  }
  file_.version_ = version;
  n_tensors_ = read<uint64_t>("tensor count");
  n_metadata_ = read<uint64_t>("metadata count");

  // Both counts come before anything they describe: reject impossible ones
  // now, so no loop runs or allocation is sized by a lie.
  if (n_metadata_ > remaining() / format::kMinMetadataEntryBytes) {
    fail("metadata count ", n_metadata_, " cannot fit in the ", remaining(), " bytes left in the file");
  }
  if (n_tensors_ > remaining() / format::kMinTensorInfoBytes) {
    fail("tensor count ", n_tensors_, " cannot fit in the ", remaining(), " bytes left in the file");
  }
  if (n_metadata_ * format::kMinMetadataEntryBytes + n_tensors_ * format::kMinTensorInfoBytes > remaining()) {
    fail("metadata count ", n_metadata_, " and tensor count ", n_tensors_, " cannot fit in the ",
         remaining(), " bytes left in the file");
  }
}

void Parser::parse_metadata() {
  section_ = Section::kMetadata;
  values_left_ = format::kMaxMetadataValues;
  file_.metadata_.reserve(std::min<uint64_t>(n_metadata_, 1024));
  for (entry_ = 0; entry_ < n_metadata_; ++entry_) {
    entry_name_.clear();
    std::string key = read_name("key", "empty key");
    entry_name_ = key;
    if (auto it = file_.metadata_index_.find(key); it != file_.metadata_index_.end()) {
      fail("duplicate metadata key ", quote(key), " (entries ", it->second, " and ", entry_, ")");
    }
    const ValueType type = read_value_type("value type");
    Value value = read_value(type, 0);
    file_.metadata_index_.emplace(key, file_.metadata_.size());
    file_.metadata_.emplace_back(std::move(key), std::move(value));
  }

  if (const Value* alignment = file_.find(format::kAlignmentKey)) {
    try {
      file_.alignment_ = format::checked_alignment(*alignment);
    } catch (const Error& e) {
      fail("metadata: ", e.what());
    }
  }
}

Value Parser::read_value(ValueType type, int depth) {
  if (values_left_ == 0) {
    fail(context(), ": more than ", format::kMaxMetadataValues, " metadata values (the limit)");
  }
  --values_left_;
  switch (type) {
    case ValueType::UINT8: return Value::u8(read<uint8_t>("value"));
    case ValueType::INT8: return Value::i8(read<int8_t>("value"));
    case ValueType::UINT16: return Value::u16(read<uint16_t>("value"));
    case ValueType::INT16: return Value::i16(read<int16_t>("value"));
    case ValueType::UINT32: return Value::u32(read<uint32_t>("value"));
    case ValueType::INT32: return Value::i32(read<int32_t>("value"));
    case ValueType::UINT64: return Value::u64(read<uint64_t>("value"));
    case ValueType::INT64: return Value::i64(read<int64_t>("value"));
    case ValueType::FLOAT32: return Value::f32(read<float>("value"));
    case ValueType::FLOAT64: return Value::f64(read<double>("value"));
    case ValueType::BOOL: {
      const auto byte = read<uint8_t>("value");
      if (byte > 1) fail(context(), ": invalid bool byte ", int{byte}, " (must be 0 or 1)");
      return Value::boolean(byte == 1);
    }
    case ValueType::STRING: {
      const auto length = read<uint64_t>("string length");
      need(length, "string");
      std::string s(reinterpret_cast<const char*>(data_ + pos_), length);
      pos_ += length;
      return Value::string(std::move(s));
    }
    case ValueType::ARRAY: {
      if (depth >= format::kMaxArrayDepth) {
        fail(context(), ": arrays nested more than ", format::kMaxArrayDepth, " deep");
      }
      const ValueType element_type = read_value_type("array element type");
      const auto count = read<uint64_t>("array count");
      if (count > values_left_) {
        fail(context(), ": array count ", count, " exceeds the limit of ", format::kMaxMetadataValues,
             " metadata values");
      }
      if (count > remaining() / format::min_encoded_size(element_type)) {
        fail(context(), ": array count ", count, " of ", value_type_name(element_type),
             " cannot fit in the ", remaining(), " bytes left");
      }
      std::vector<Value> items;
      items.reserve(count);  // bounded by the two checks above
      array_path_.push_back(0);
      for (uint64_t i = 0; i < count; ++i) {
        array_path_.back() = i;
        items.push_back(read_value(element_type, depth + 1));
      }
      array_path_.pop_back();
      return Value::array(element_type, std::move(items));
    }
  }
  fail(context(), ": unknown value type ", static_cast<uint32_t>(type));  // not reached
}

void Parser::parse_tensor_infos() {
  section_ = Section::kTensorInfos;
  file_.tensors_.reserve(std::min<uint64_t>(n_tensors_, 4096));
  for (entry_ = 0; entry_ < n_tensors_; ++entry_) {
    entry_name_.clear();
    TensorInfo info;
    info.name = read_name("tensor name", "empty tensor name");
    entry_name_ = info.name;
    if (auto it = file_.tensor_index_.find(info.name); it != file_.tensor_index_.end()) {
      fail("duplicate tensor name ", quote(info.name), " (tensor infos ", it->second, " and ", entry_, ")");
    }
    const auto n_dims = read<uint32_t>("dimension count");
    if (n_dims == 0 || n_dims > static_cast<uint32_t>(format::kMaxDims)) {
      fail(context(), ": ", n_dims, " dimensions (must be 1 to ", format::kMaxDims, ")");
    }
    info.dims.resize(n_dims);
    for (auto& dim : info.dims) dim = read<int64_t>("dimension");
    const auto type_id = read<uint32_t>("type");
    const auto type = quant::type_info(type_id);
    if (!type) fail(context(), ": unknown tensor type id ", type_id);
    info.type = type->type;
    info.offset = read<uint64_t>("offset");

    info.nbytes = format::tensor_nbytes(*type, info.dims, context());
    if (info.offset % file_.alignment_ != 0) {
      fail(context(), ": offset ", info.offset, " is not a multiple of the alignment ", file_.alignment_);
    }
    file_.tensor_index_.emplace(info.name, file_.tensors_.size());
    file_.tensors_.push_back(std::move(info));
  }
}

void Parser::place_tensor_data() {
  const uint64_t data_start = format::align_up(pos_, file_.alignment_);
  if (data_start > size_) {
    // Without tensors nothing is lost, and some writers may skip the padding.
    if (n_tensors_ == 0) {
      file_.data_offset_ = size_;
      return;
    }
    fail("truncated while reading the padding before the tensor data (needs ", data_start - pos_,
         " bytes, ", remaining(), " left)");
  }
  file_.data_offset_ = data_start;
  const uint64_t data_size = size_ - data_start;

  for (auto& t : file_.tensors_) {
    uint64_t end = 0;
    if (__builtin_add_overflow(t.offset, t.nbytes, &end) || end > data_size) {
      fail("tensor ", quote(t.name), ": data (offset ", t.offset, ", ", t.nbytes,
           " bytes) extends past the end of the file (the data section holds ", data_size, " bytes)");
    }
    t.data = data_ + data_start + t.offset;
  }

  // Sorted by offset, a tensor overlaps an earlier one exactly when it starts
  // before the furthest end seen so far. Empty tensors occupy nothing.
  std::vector<size_t> order(file_.tensors_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return file_.tensors_[a].offset < file_.tensors_[b].offset;
  });
  const TensorInfo* furthest = nullptr;
  uint64_t furthest_end = 0;
  for (size_t i : order) {
    const TensorInfo& t = file_.tensors_[i];
    if (t.nbytes == 0) continue;
    if (furthest != nullptr && t.offset < furthest_end) {
      fail("tensors ", quote(furthest->name), " and ", quote(t.name), " overlap (bytes ",
           furthest->offset, "..", furthest_end, " and ", t.offset, "..", t.offset + t.nbytes,
           " of the data section)");
    }
    furthest = &t;
    furthest_end = t.offset + t.nbytes;
  }
}

}  // namespace pagoda::gguf
