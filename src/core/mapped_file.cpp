#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>
#include <system_error>
#include <utility>

#include "core/error.h"

namespace pagoda {
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

MappedFile MappedFile::open(const std::string& path) {
  MappedFile file;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail(path, ": cannot open: ", errno_message());
  FdCloser closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) fail(path, ": cannot stat: ", errno_message());
  if (!S_ISREG(st.st_mode)) fail(path, ": not a regular file");
  file.size_ = static_cast<uint64_t>(st.st_size);
  if (file.size_ > 0) {  // mmap refuses length 0
    void* addr = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (addr == MAP_FAILED) fail(path, ": cannot mmap: ", errno_message());
    file.mapped_ = addr;
    file.data_ = static_cast<const uint8_t*>(addr);
  }
  return file;
}

MappedFile MappedFile::copy_of(std::span<const uint8_t> bytes) {
  MappedFile file;
  if (!bytes.empty()) {
    const size_t padded = (bytes.size() + kCopyAlignment - 1) / kCopyAlignment * kCopyAlignment;
    file.owned_ = static_cast<uint8_t*>(std::aligned_alloc(kCopyAlignment, padded));
    if (file.owned_ == nullptr) throw std::bad_alloc();
    std::memcpy(file.owned_, bytes.data(), bytes.size());
    file.data_ = file.owned_;
    file.size_ = bytes.size();
  }
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, nullptr)),
      owned_(std::exchange(other.owned_, nullptr)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    release();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    mapped_ = std::exchange(other.mapped_, nullptr);
    owned_ = std::exchange(other.owned_, nullptr);
  }
  return *this;
}

MappedFile::~MappedFile() { release(); }

void MappedFile::release() {
  if (mapped_ != nullptr) ::munmap(mapped_, size_);
  std::free(owned_);
  mapped_ = nullptr;
  owned_ = nullptr;
  data_ = nullptr;
  size_ = 0;
}

}  // namespace pagoda
