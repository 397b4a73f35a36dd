#pragma once
// The weights of a decoder, bound by name from a GGUF file and checked
// against the hyper-parameters. Matrices stay in the mapped file in their
// stored type; 1-D norm weights are decoded to F32 once.
#include <string>
#include <vector>

#include "kernels/tensor_view.h"
#include "model/hparams.h"

namespace pagoda::gguf {
class File;
}

namespace pagoda::model {

struct LayerWeights {
  std::vector<float> attn_norm;  // [n_embd]
  kernels::MatrixView wq;        // [q_dim x n_embd]
  kernels::MatrixView wk;        // [kv_dim x n_embd]
  kernels::MatrixView wv;        // [kv_dim x n_embd]
  kernels::MatrixView wo;        // [n_embd x q_dim]
  std::vector<float> bq, bk, bv;  // Q/K/V biases [q_dim], [kv_dim] (Qwen2); empty when absent
  std::vector<float> q_norm, k_norm;  // per-head RMSNorm of Q and K before RoPE [head_dim] (Qwen3); empty when absent
  std::vector<float> attn_post_norm;  // on the attention output before the residual add (Gemma); empty when absent
  std::vector<float> ffn_norm;   // [n_embd]
  kernels::MatrixView w_gate;    // [n_ff x n_embd]
  kernels::MatrixView w_up;      // [n_ff x n_embd]
  kernels::MatrixView w_down;    // [n_embd x n_ff]
  std::vector<float> ffn_post_norm;  // on the FFN output before the residual add (Gemma); empty when absent
};

struct Weights {
  kernels::MatrixView token_embd;  // [n_vocab x n_embd]
  std::vector<float> output_norm;  // [n_embd]
  kernels::MatrixView output;      // [n_vocab x n_embd]; token_embd when tied
  bool tied_output = false;
  std::vector<float> rope_freqs;   // [n_rot/2] frequency divisors (Llama 3.1 scaling); empty when absent
  std::vector<LayerWeights> layers;
};

// Fused tensors (Phi-3's attn_qkv and gate+up ffn_up) are bound as row
// ranges of the one matrix, so the forward pass sees separate Q/K/V and
// gate/up views. Sets hp.n_vocab from the embedding. pagoda::Error names a missing tensor
// or one whose shape or type does not fit.
Weights bind_weights(const gguf::File& file, HParams& hp);

}  // namespace pagoda::model
