#include "gguf/writer.h"

#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "core/error.h"
#include "gguf/file.h"
#include "gguf/format.h"

namespace pagoda::gguf {

static_assert(std::endian::native == std::endian::little, "GGUF is written by memcpy: little-endian hosts only");

namespace {

// Receives the image in order; counts bytes so padding can be computed.
class Sink {
 public:
  explicit Sink(const std::function<void(const void*, size_t)>& put) : put_(put) {}
  void write(const void* data, size_t n) {
    put_(data, n);
    written_ += n;
  }
  template <typename T>
  void scalar(T v) {
    write(&v, sizeof v);
  }
  void string(std::string_view s) {
    scalar<uint64_t>(s.size());
    write(s.data(), s.size());
  }
  void pad_to(uint64_t offset) {
    static constexpr uint8_t kZeros[256] = {};
    while (written_ < offset) write(kZeros, std::min<uint64_t>(offset - written_, sizeof kZeros));
  }
  uint64_t written() const { return written_; }

 private:
  const std::function<void(const void*, size_t)>& put_;
  uint64_t written_ = 0;
};

void emit_value(Sink& out, const Value& v) {
  switch (v.type()) {
    case ValueType::UINT8: return out.scalar(static_cast<uint8_t>(v.as_uint()));
    case ValueType::INT8: return out.scalar(static_cast<int8_t>(v.as_int()));
    case ValueType::UINT16: return out.scalar(static_cast<uint16_t>(v.as_uint()));
    case ValueType::INT16: return out.scalar(static_cast<int16_t>(v.as_int()));
    case ValueType::UINT32: return out.scalar(static_cast<uint32_t>(v.as_uint()));
    case ValueType::INT32: return out.scalar(static_cast<int32_t>(v.as_int()));
    case ValueType::UINT64: return out.scalar(v.as_uint());
    case ValueType::INT64: return out.scalar(v.as_int());
    case ValueType::FLOAT32: return out.scalar(static_cast<float>(v.as_float()));
    case ValueType::FLOAT64: return out.scalar(v.as_float());
    case ValueType::BOOL: return out.scalar(static_cast<uint8_t>(v.as_bool() ? 1 : 0));
    case ValueType::STRING: return out.string(v.as_string());
    case ValueType::ARRAY: {
      const Array& a = v.as_array();
      out.scalar(static_cast<uint32_t>(a.element_type));
      out.scalar(static_cast<uint64_t>(a.items.size()));
      for (const Value& item : a.items) emit_value(out, item);
      return;
    }
  }
}

int array_depth(const Value& v) {
  if (v.type() != ValueType::ARRAY) return 0;
  int deepest = 0;
  for (const Value& item : v.as_array().items) deepest = std::max(deepest, array_depth(item));
  return deepest + 1;
}

void check_name(const std::string& name, std::string_view what) {
  if (name.empty()) fail("empty ", what);
  if (name.size() > format::kMaxNameLength) {
    fail(what, " ", format::quote(name), " is ", name.size(), " bytes long (limit ",
         format::kMaxNameLength, ")");
  }
}

}  // namespace

void Writer::set(const std::string& key, Value value) {
  // Refuse what the reader would refuse, so every written file reads back.
  check_name(key, "metadata key");
  if (key == format::kAlignmentKey) format::checked_alignment(value);
  if (array_depth(value) > format::kMaxArrayDepth) {
    fail("metadata key ", format::quote(key), ": arrays nested more than ", format::kMaxArrayDepth, " deep");
  }
  for (auto& [k, v] : metadata_) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  metadata_.emplace_back(key, std::move(value));
}

void Writer::add_tensor(const std::string& name, quant::TensorType type, std::vector<int64_t> dims,
                        std::vector<uint8_t> data) {
  check_name(name, "tensor name");
  if (tensor_names_.count(name) != 0) fail("duplicate tensor name ", format::quote(name));
  const auto info = quant::type_info(static_cast<uint32_t>(type));
  if (!info) fail("tensor ", format::quote(name), ": unknown tensor type id ", static_cast<uint32_t>(type));
  const uint64_t nbytes = format::tensor_nbytes(*info, dims, str_cat("tensor ", format::quote(name)));
  if (data.size() != nbytes) {
    fail("tensor ", format::quote(name), ": ", data.size(), " bytes of data, but its shape and type (",
         info->name, ") need ", nbytes);
  }
  tensor_names_.insert(name);
  tensors_.push_back(PendingTensor{name, type, std::move(dims), std::move(data)});
}

uint32_t Writer::alignment() const {
  for (const auto& [k, v] : metadata_) {
    if (k == format::kAlignmentKey) return static_cast<uint32_t>(v.as_uint());  // checked by set()
  }
  return kDefaultAlignment;
}

void Writer::emit(const std::function<void(const void*, size_t)>& put) const {
  Sink out(put);
  const uint64_t align = alignment();
  out.write(format::kMagic, sizeof format::kMagic);
  out.scalar<uint32_t>(format::kWriteVersion);
  out.scalar<uint64_t>(tensors_.size());
  out.scalar<uint64_t>(metadata_.size());
  for (const auto& [key, value] : metadata_) {
    out.string(key);
    out.scalar(static_cast<uint32_t>(value.type()));
    emit_value(out, value);
  }

  std::vector<uint64_t> offsets;
  offsets.reserve(tensors_.size());
  uint64_t next = 0;
  for (const auto& t : tensors_) {
    offsets.push_back(next);
    next = format::align_up(next + t.data.size(), align);
    out.string(t.name);
    out.scalar(static_cast<uint32_t>(t.dims.size()));
    for (int64_t d : t.dims) out.scalar(d);
    out.scalar(static_cast<uint32_t>(t.type));
    out.scalar(offsets.back());
  }

  const uint64_t data_start = format::align_up(out.written(), align);
  out.pad_to(data_start);
  for (size_t i = 0; i < tensors_.size(); ++i) {
    out.pad_to(data_start + offsets[i]);
    out.write(tensors_[i].data.data(), tensors_[i].data.size());
  }
  // Pad the last tensor too: some readers expect a data section that is a
  // whole number of aligned tensors.
  out.pad_to(data_start + next);
}

std::vector<uint8_t> Writer::to_bytes() const {
  std::vector<uint8_t> bytes;
  emit([&](const void* data, size_t n) {
    const auto* p = static_cast<const uint8_t*>(data);
    bytes.insert(bytes.end(), p, p + n);
  });
  return bytes;
}

void Writer::write(const std::string& path) const {
  // Stream into a temporary file and rename it into place, so a reader never
  // sees a half-written model and a failure leaves any old file intact.
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (f == nullptr) {
    fail(path, ": cannot create ", tmp, ": ", std::error_code(errno, std::generic_category()).message());
  }
  std::string error;
  try {
    emit([&](const void* data, size_t n) {
      if (n != 0 && std::fwrite(data, 1, n, f) != n) {
        fail(path, ": write failed: ", std::error_code(errno, std::generic_category()).message());
      }
    });
    if (std::fflush(f) != 0 || ::fsync(::fileno(f)) != 0) {
      error = str_cat(path, ": write failed: ", std::error_code(errno, std::generic_category()).message());
    }
  } catch (const Error& e) {
    error = e.what();
  }
  if (std::fclose(f) != 0 && error.empty()) {
    error = str_cat(path, ": close failed: ", std::error_code(errno, std::generic_category()).message());
  }
  if (error.empty() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    error = str_cat(path, ": cannot rename ", tmp, " into place: ",
                    std::error_code(errno, std::generic_category()).message());
  }
  if (!error.empty()) {
    std::remove(tmp.c_str());
    throw Error(error);
  }
}

}  // namespace pagoda::gguf
