#include "core/huge_buffer.h"

#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace pagoda {
namespace {

constexpr size_t kHugePage = size_t{2} << 20;

}  // namespace

void HugeBuffer::Free::operator()(uint8_t* p) const {
  std::free(p);
}

HugeBuffer::HugeBuffer(size_t bytes, bool zero) : size_(bytes) {
  if (bytes == 0) return;
  // Small buffers keep ordinary alignment: rounding them up to 2 MiB would
  // waste more than it saves.
  const size_t align = bytes >= kHugePage ? kHugePage : 64;
  const size_t padded = (bytes + align - 1) / align * align;
  data_.reset(static_cast<uint8_t*>(std::aligned_alloc(align, padded)));
  if (!data_) throw std::bad_alloc();
#if defined(__linux__)
  // Advice only: where transparent huge pages are off this changes nothing.
  if (align == kHugePage) madvise(data_.get(), padded, MADV_HUGEPAGE);
#endif
  if (zero) std::memset(data_.get(), 0, bytes);
}

}  // namespace pagoda
