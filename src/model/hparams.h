#pragma once
// Hyper-parameters of a decoder, read from GGUF metadata ("<arch>.*" keys).
#include <cstdint>
#include <string>

#include "kernels/ops.h"

namespace pagoda::gguf {
class File;
}

namespace pagoda::model {

struct HParams {
  std::string arch;           // general.architecture
  std::string name;           // general.name (may be empty)
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;    // <arch>.context_length
  int64_t n_embd = 0;
  int n_layer = 0;
  int n_head = 0;
  int n_head_kv = 0;
  int head_dim = 0;           // <arch>.attention.key_length, default n_embd / n_head
  int64_t n_ff = 0;
  float rms_eps = 1e-5f;
  kernels::RopeParams rope;

  int64_t q_dim() const { return static_cast<int64_t>(n_head) * head_dim; }
  int64_t kv_dim() const { return static_cast<int64_t>(n_head_kv) * head_dim; }
};

// pagoda::Error naming the key that is missing or out of range, or the
// architecture when it is not supported.
HParams read_hparams(const gguf::File& file);

}  // namespace pagoda::model
