#pragma once
// A large, long-lived byte buffer (packed weights, the KV cache) aligned to
// 2 MiB and offered to the kernel for transparent huge pages. Decode streams
// hundreds of MiB per step through these; with 4 KiB pages every page is a
// TLB miss and a point where the hardware prefetchers stop.
#include <cstddef>
#include <cstdint>
#include <memory>

namespace pagoda {

class HugeBuffer {
 public:
  HugeBuffer() = default;
  // Contents are zero when `zero` is set, else unspecified.
  explicit HugeBuffer(size_t bytes, bool zero = true);

  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t size_ = 0;
};

}  // namespace pagoda
