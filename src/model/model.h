#pragma once
// A loaded decoder model: the mapped GGUF file, its hyper-parameters and
// bound weights, and the forward pass.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "gguf/file.h"
#include "kernels/repack.h"
#include "kv/contiguous_cache.h"
#include "model/hparams.h"
#include "model/weights.h"

namespace pagoda::model {

// Tokens of one sequence at consecutive positions start_pos, start_pos+1, ...
// A prompt is one Batch (prefill in one call); decode is a Batch of one.
struct Batch {
  std::span<const int32_t> tokens;
  int64_t start_pos = 0;
  bool all_logits = false;  // logits for every token (perplexity) or only the last
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

  kv::ContiguousCache make_cache(int64_t n_ctx) const;

  // Computes the batch, appends its keys/values to the cache (whose size
  // must equal batch.start_pos) and writes logits: [rows x n_vocab], rows =
  // batch size with all_logits, else 1.
  void forward(const Batch& batch, kv::ContiguousCache& cache, ThreadPool& pool, std::vector<float>& logits);

 private:
  Model(gguf::File file, HParams hp, Weights w);

  // Scratch buffers sized for the largest batch seen so far.
  struct Workspace {
    std::vector<float> x, xb, q, k, v, att, ffn_gate, ffn_up, tmp;
  };

  void attention_block(int layer, const Batch& batch, kv::ContiguousCache& cache, ThreadPool& pool);
  void ffn_block(int layer, int64_t n, ThreadPool& pool);

  gguf::File file_;
  HParams hparams_;
  Weights weights_;
  kernels::PackedWeights packed_;  // row-interleaved copies the views point into
  Workspace ws_;
};

}  // namespace pagoda::model
