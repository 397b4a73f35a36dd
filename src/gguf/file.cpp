#include "gguf/file.h"

#include "core/error.h"
#include "gguf/format.h"
#include "gguf/parser.h"

namespace pagoda::gguf {

int64_t TensorInfo::n_elements() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;  // validated by the parser not to overflow
  return n;
}

File::File(File&&) noexcept = default;
File& File::operator=(File&&) noexcept = default;
File::~File() = default;

File File::parse(std::span<const uint8_t> bytes) {
  File file;
  file.bytes_ = MappedFile::copy_of(bytes);
  Parser::parse(file.bytes_.data(), file.bytes_.size(), file);
  return file;
}

File File::open(const std::string& path) {
  File file;
  file.bytes_ = MappedFile::open(path);
  try {
    Parser::parse(file.bytes_.data(), file.bytes_.size(), file);
  } catch (const Error& e) {
    fail(path, ": ", e.what());
  }
  return file;
}

const Value* File::find(std::string_view key) const {
  const auto it = metadata_index_.find(key);
  return it == metadata_index_.end() ? nullptr : &metadata_[it->second].second;
}

const TensorInfo* File::tensor(std::string_view name) const {
  const auto it = tensor_index_.find(name);
  return it == tensor_index_.end() ? nullptr : &tensors_[it->second];
}

namespace {

// Runs a Value accessor, prefixing its type error with the key.
template <typename Get>
auto typed_get(const Value* v, std::string_view key, Get get) -> std::optional<decltype(get(*v))> {
  if (v == nullptr) return std::nullopt;
  try {
    return get(*v);
  } catch (const Error& e) {
    fail("metadata key ", format::quote(key), ": ", e.what());
  }
}

}  // namespace

std::optional<int64_t> File::get_int(std::string_view key) const {
  return typed_get(find(key), key, [](const Value& v) { return v.as_int(); });
}

std::optional<double> File::get_float(std::string_view key) const {
  return typed_get(find(key), key, [](const Value& v) { return v.as_float(); });
}

std::optional<bool> File::get_bool(std::string_view key) const {
  return typed_get(find(key), key, [](const Value& v) { return v.as_bool(); });
}

std::optional<std::string> File::get_string(std::string_view key) const {
  return typed_get(find(key), key, [](const Value& v) { return v.as_string(); });
}

const Array* File::get_array(std::string_view key) const {
  const auto array = typed_get(find(key), key, [](const Value& v) { return &v.as_array(); });
  return array.value_or(nullptr);
}

}  // namespace pagoda::gguf
