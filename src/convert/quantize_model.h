#pragma once
// `pagoda quantize`: rewrites a GGUF model with its weight matrices in a
// smaller type, keeping every other key and tensor.
//
// Types: the pure ones (q8_0, q4_0, q4_1, q5_0, q5_1, q2_k, q3_k, q4_k,
// q5_k, q6_k, plus f16/bf16/f32) and the usual mixes, which spend more bits
// where quantization error hurts most (Pagoda's rules, in the spirit of the
// ecosystem's; "more-bits layers" are the first and last eighth of the
// layers and every third one between):
//   q4_k_m  q4_k; attn_v and ffn_down q6_k in more-bits layers
//   q4_k_s  q4_k; attn_v and ffn_down q5_k in the first eighth of the layers
//   q5_k_m  q5_k; attn_v and ffn_down q6_k in more-bits layers
//   q5_k_s  q5_k
//   q3_k_m  q3_k; attn_v, attn_output q4_k; ffn_down q4_k in more-bits layers
//   q3_k_s  q3_k
//   q2_k    q2_k; attn_v and ffn_down q3_k
// In every type below 6 bits, output.weight (the logits) gets q6_k.
// Matrices whose rows do not fill whole blocks fall back to a legacy type
// at least as large: q2_k/q3_k -> q4_0, q4_k -> q5_0, q5_k -> q5_1,
// q6_k -> q8_0, legacy -> f16. Norms and biases (1-D) are not touched.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/thread_pool.h"
#include "gguf/file.h"
#include "gguf/writer.h"
#include "quant/tensor_type.h"

namespace pagoda::convert {

// Importance per input column of each weight matrix, by tensor name.
using ImportanceMatrix = std::map<std::string, std::vector<float>>;

struct QuantizeSummary {
  int64_t n_tensors = 0;
  int64_t n_quantized = 0;
  int64_t n_fallbacks = 0;     // matrices that could not take their planned type
  int64_t n_importance = 0;    // matrices quantized with importance weights
  uint64_t bytes_in = 0;       // tensor data
  uint64_t bytes_out = 0;
  uint64_t n_elements = 0;     // of all tensors
  std::map<std::string, int64_t> tensors_by_type;
  double bits_per_weight() const { return n_elements ? 8.0 * static_cast<double>(bytes_out) / static_cast<double>(n_elements) : 0; }
};

// Names accepted by quantize_model, lower case.
std::vector<std::string> quantize_type_names();

// The type `name` gets under `mix` in a model of n_layer layers (before
// the block-size fallback); exposed for tests.
quant::TensorType planned_type(const std::string& mix, const std::string& name, int64_t n_layer);

// rows x cols floats (row-major) encoded row by row in `type`, the rows
// spread over the pool: the converters' way of writing a matrix.
std::vector<uint8_t> quantize_matrix(quant::TensorType type, const float* values, int64_t rows, int64_t cols,
                                     ThreadPool& pool);

// progress(done, total) after each tensor.
QuantizeSummary quantize_model(const gguf::File& in, const std::string& mix, const ImportanceMatrix* importance,
                               gguf::Writer& out, ThreadPool& pool,
                               const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace pagoda::convert
