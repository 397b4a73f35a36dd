#pragma once
// Hyper-parameters of a decoder, read from GGUF metadata ("<arch>.*" keys).
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/ops.h"

namespace pagoda::gguf {
class File;
}

namespace pagoda::model {

enum class FfnActivation { SiLU, GeluTanh };

// What differs between the supported families (llama, qwen2, qwen3, phi3,
// gemma2, gemma3) is data here, filled by read_hparams, plus optional
// tensors (biases, Q/K norms, post-norms) that bind_weights finds; the
// forward pass is one.
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

  float embd_scale = 1.0f;      // token embeddings are multiplied by it (Gemma: sqrt(n_embd))
  float attn_scale = 0.0f;      // query scale before the dot products (1/sqrt(head_dim) by default)
  float attn_softcap = 0.0f;    // attention scores soft-capped (Gemma 2); 0: off
  float final_softcap = 0.0f;   // output logits soft-capped (Gemma 2); 0: off
  FfnActivation ffn_act = FfnActivation::SiLU;
  int64_t n_swa = 0;            // sliding window of the layers marked in swa_layers
  std::vector<uint8_t> swa_layers;  // [n_layer] 1: the layer attends to the last n_swa positions only
  kernels::RopeParams rope_swa;     // RoPE of the sliding-window layers (Gemma 3: their own base)

  bool is_swa(int layer) const { return n_swa > 0 && swa_layers[static_cast<size_t>(layer)] != 0; }
  const kernels::RopeParams& rope_of(int layer) const { return is_swa(layer) ? rope_swa : rope; }
  int64_t q_dim() const { return static_cast<int64_t>(n_head) * head_dim; }
  int64_t kv_dim() const { return static_cast<int64_t>(n_head_kv) * head_dim; }
};

// pagoda::Error naming the key that is missing or out of range, or the
// architecture when it is not supported.
HParams read_hparams(const gguf::File& file);

}  // namespace pagoda::model
