#pragma once
// Element-wise and row-wise operations of the decoder: norms, rotary
// position embedding, activations, softmax. Shapes are in the comments.
#include <cstdint>

#include "kernels/cpu_features.h"

namespace pagoda::kernels {

// out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i], i < n. out may alias x.
void rms_norm(const float* x, const float* weight, float* out, int64_t n, float eps);

enum class RopeOrdering {
  Normal,  // rotates adjacent pairs (x[2i], x[2i+1]) (Llama as GGUF stores it)
  NeoX,    // rotates (x[i], x[i + n_rot/2]) (GPT-NeoX, Qwen, Gemma, Phi-3)
};

struct RopeParams {
  int head_dim = 0;
  int n_rot = 0;  // leading dims of each head that rotate (<= head_dim)
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;  // linear scaling: position * freq_scale
  RopeOrdering ordering = RopeOrdering::Normal;
  // n_rot/2 divisors of the pair frequencies (GGUF rope_freqs.weight, Llama
  // 3.1-style scaling): pair i turns by position * freq_i / freq_factors[i].
  // Null: all 1.
  const float* freq_factors = nullptr;
  // YaRN (yarn_ext_factor > 0): pairs below the correction range keep their
  // unscaled (extrapolated) angle, pairs above it the freq_scale'd one, a
  // linear ramp in between; every rotation is also scaled by
  // (1 + 0.1 ln(1/freq_scale)) * attn_factor.
  float yarn_ext_factor = 0.0f;
  float yarn_beta_fast = 32.0f;
  float yarn_beta_slow = 1.0f;
  int64_t yarn_orig_ctx = 0;  // context length the model was trained with before scaling
  float attn_factor = 1.0f;
};

// Rotates n_heads heads of one token in place: x [n_heads x head_dim].
void rope(float* x, int n_heads, int64_t position, const RopeParams& params);

// gate[i] = silu(gate[i]) * up[i]  (SwiGLU), i < n.
// Runs on best_cpu_path(); the overload with a path is for tests.
void silu_mul(float* gate, const float* up, int64_t n);
void silu_mul(float* gate, const float* up, int64_t n, CpuPath path);

// gate[i] = gelu(gate[i]) * up[i]  (GeGLU, tanh approximation of GELU), i < n.
void gelu_mul(float* gate, const float* up, int64_t n);

// x[i] = cap * tanh(x[i] / cap), i < n (logit soft-capping).
void soft_cap(float* x, int64_t n, float cap);

// In-place softmax over x[0..n).
void softmax(float* x, int64_t n);

// y[i] += x[i]
void add(float* y, const float* x, int64_t n);

}  // namespace pagoda::kernels
