#pragma once
// A loaded decoder model: the mapped GGUF file, its hyper-parameters and
// bound weights, and the forward pass.
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "gguf/file.h"
#include "kernels/repack.h"
#include "kv/paged_kv_cache.h"
#include "model/hparams.h"
#include "model/weights.h"

namespace pagoda::model {

// One flattened, ragged batch: tokens of many sequences (prefill chunks and
// decode tokens mixed). Token i is at positions[i] of sequence seq_index[i],
// whose KV blocks are block_tables[seq_index[i]] (and, with a hybrid cache,
// sliding_block_tables[seq_index[i]] for the sliding layers); every position
// the batch writes must be covered by its tables, and every earlier position
// the layers read must be in the cache already or in this batch.
struct Batch {
  std::span<const int32_t> tokens;
  std::span<const int32_t> positions;
  std::span<const int32_t> seq_index;
  std::span<const std::span<const int32_t>> block_tables;
  std::span<const int32_t> logits_rows;  // tokens whose logits are wanted, ascending
  std::span<const std::span<const int32_t>> sliding_block_tables;  // hybrid caches only
};

// The block tables of a batch's sequences, gathered while it is built.
struct BatchTables {
  std::vector<std::span<const int32_t>> full, sliding;
  // Adds a sequence's tables; returns its seq_index.
  int32_t add(const kv::SequenceBlocks& blocks) {
    full.emplace_back(blocks.table);
    sliding.emplace_back(blocks.sliding_table);
    return static_cast<int32_t>(full.size() - 1);
  }
  void clear() {
    full.clear();
    sliding.clear();
  }
};

class Model {
 public:
  // Maps, validates and binds; pagoda::Error with a clear message otherwise.
  static std::unique_ptr<Model> load(const std::string& path);

  const HParams& hparams() const { return hparams_; }
  const gguf::File& file() const { return file_; }
  const Weights& weights() const { return weights_; }
  size_t weight_bytes() const;  // bytes of all tensors in the file
  size_t packed_bytes() const { return packed_.bytes(); }

  kv::KvCacheShape kv_shape() const;

  // Computes the batch, writes its keys/values into the cache slots of its
  // block tables and its logits: [logits_rows.size() x n_vocab].
  void forward(const Batch& batch, kv::PagedKvCache& cache, ThreadPool& pool, std::vector<float>& logits);

  // Sees the input rows of every weight-matrix product, by the weight's
  // tensor name (importance matrices for quantization); empty to stop.
  using MatmulObserver = std::function<void(const std::string& tensor, const float* x, int64_t rows, int64_t cols)>;
  void set_matmul_observer(MatmulObserver observer) { observer_ = std::move(observer); }

 private:
  Model(gguf::File file, HParams hp, Weights w);

  // Scratch buffers sized for the largest batch seen so far.
  struct Workspace {
    std::vector<float> x, xb, q, k, v, att, ffn_gate, ffn_up, tmp;
  };
  // Consecutive batch tokens of one sequence at consecutive positions: they
  // attend together (kernels::attend_paged_run).
  struct TokenRun {
    int64_t first = 0;
    int count = 0;
  };
  void split_into_runs(const Batch& batch, int max_tokens);

  void validate(const Batch& batch, const kv::PagedKvCache& cache) const;
  void attention_block(int layer, const Batch& batch, kv::PagedKvCache& cache, ThreadPool& pool);
  void ffn_block(int layer, int64_t n, ThreadPool& pool);
  void norm_into_xb(const std::vector<float>& norm, int64_t n, ThreadPool& pool);
  void add_residual(const std::vector<float>& post_norm, const std::vector<float>* next_norm, int64_t n,
                    ThreadPool& pool);
  void observe(int layer, const char* tensor, const float* x, int64_t rows, int64_t cols) const;
  void observe(const std::string& tensor, const float* x, int64_t rows, int64_t cols) const;

  gguf::File file_;
  HParams hparams_;
  Weights weights_;
  kernels::PackedWeights packed_;  // row-interleaved copies the views point into
  Workspace ws_;
  std::vector<TokenRun> runs_;
  MatmulObserver observer_;
};

}  // namespace pagoda::model
