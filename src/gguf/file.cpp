#include "gguf/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <system_error>

#include "core/error.h"
#include "gguf/format.h"
#include "gguf/parser.h"

namespace pagoda::gguf {

// The bytes of the file: either a read-only mmap or an owned, aligned copy.
// Heap-allocated by File, so moving a File keeps tensor data pointers valid.
struct File::Mapping {
  const uint8_t* data = nullptr;
  uint64_t size = 0;
  void* mapped = nullptr;  // from mmap, when not owned
  uint8_t* owned = nullptr;  // from aligned_alloc

  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (mapped != nullptr) ::munmap(mapped, size);
    std::free(owned);
  }
};

namespace {

std::string errno_message() { return std::error_code(errno, std::generic_category()).message(); }

// Closes a file descriptor on every path out of open().
struct FdCloser {
  int fd;
  ~FdCloser() { ::close(fd); }
};

// Copies are aligned like a page-aligned mapping would be, at least to a
// cache line, so kernels see the same data alignment either way.
constexpr size_t kCopyAlignment = 64;

}  // namespace

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
  file.mapping_ = std::make_unique<Mapping>();
  Mapping& m = *file.mapping_;
  if (!bytes.empty()) {
    const size_t padded = (bytes.size() + kCopyAlignment - 1) / kCopyAlignment * kCopyAlignment;
    m.owned = static_cast<uint8_t*>(std::aligned_alloc(kCopyAlignment, padded));
    if (m.owned == nullptr) throw std::bad_alloc();
    std::memcpy(m.owned, bytes.data(), bytes.size());
    m.data = m.owned;
    m.size = bytes.size();
  }
  Parser::parse(m.data, m.size, file);
  return file;
}

File File::open(const std::string& path) {
  File file;
  file.mapping_ = std::make_unique<Mapping>();
  Mapping& m = *file.mapping_;

  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, ": cannot open: ", errno_message());
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(path, ": cannot stat: ", errno_message());
  if (!S_ISREG(st.st_mode)) fail(path, ": not a regular file");
  m.size = static_cast<uint64_t>(st.st_size);
  if (m.size > 0) {  // mmap refuses length 0; an empty file fails parsing below
    void* addr = ::mmap(nullptr, m.size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) fail(path, ": cannot mmap: ", errno_message());
    m.mapped = addr;
    m.data = static_cast<const uint8_t*>(addr);
  }

  try {
    Parser::parse(m.data, m.size, file);
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
