#pragma once
// The KV cache of one sequence, one contiguous F32 region per layer:
// keys(layer) [n_ctx x kv_row], same for values. The paged, shared cache of
// the batched engine replaces it there; this one serves single-sequence runs.
#include <cstdint>
#include <vector>

namespace pagoda::kv {

class ContiguousCache {
 public:
  ContiguousCache(int n_layer, int64_t n_ctx, int64_t kv_row)
      : n_ctx_(n_ctx), kv_row_(kv_row),
        keys_(static_cast<size_t>(n_layer), std::vector<float>(static_cast<size_t>(n_ctx * kv_row))),
        values_(static_cast<size_t>(n_layer), std::vector<float>(static_cast<size_t>(n_ctx * kv_row))) {}

  int64_t capacity() const { return n_ctx_; }
  int64_t kv_row() const { return kv_row_; }
  // Positions [0, size) hold computed keys/values.
  int64_t size() const { return size_; }
  void set_size(int64_t n) { size_ = n; }
  void clear() { size_ = 0; }

  float* keys(int layer) { return keys_[static_cast<size_t>(layer)].data(); }
  float* values(int layer) { return values_[static_cast<size_t>(layer)].data(); }
  size_t bytes() const { return 2 * keys_.size() * static_cast<size_t>(n_ctx_ * kv_row_) * sizeof(float); }

 private:
  int64_t n_ctx_;
  int64_t kv_row_;
  int64_t size_ = 0;
  std::vector<std::vector<float>> keys_;
  std::vector<std::vector<float>> values_;
};

}  // namespace pagoda::kv
