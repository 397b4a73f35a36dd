#pragma once
// The read-only bytes of a file: a private mmap, or an owned copy aligned to
// a cache line (for in-memory images in tests and fuzzers). Movable; the data
// pointer stays valid across moves, so parsed views into it survive too.
#include <cstdint>
#include <span>
#include <string>

namespace pagoda {

class MappedFile {
 public:
  // pagoda::Error starting with the path when the file cannot be opened,
  // is not a regular file, or cannot be mapped. An empty file maps to size 0.
  static MappedFile open(const std::string& path);
  static MappedFile copy_of(std::span<const uint8_t> bytes);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  std::span<const uint8_t> bytes() const { return {data_, static_cast<size_t>(size_)}; }

 private:
  void release();
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  void* mapped_ = nullptr;    // from mmap
  uint8_t* owned_ = nullptr;  // from aligned_alloc
};

}  // namespace pagoda
