#pragma once
// Hugging Face checkpoint -> GGUF for the Llama (LlamaForCausalLM,
// MistralForCausalLM), Qwen2 (Qwen2ForCausalLM) and Qwen3
// (Qwen3ForCausalLM: per-head Q/K norms) families.
//
// Tensor names map to the GGUF ones (model.layers.N.self_attn.q_proj.weight
// -> blk.N.attn_q.weight, ...); a tensor the mapping does not know is an
// error rather than silently dropped. Llama's q/k rows are permuted from the
// rotate-half RoPE layout of Hugging Face checkpoints to GGUF's interleaved
// pairs, unless config.json says "pagoda_rope_interleaved": true (Pagoda's
// own trainer already stores them that way). Qwen2 keeps rotate-half (NEOX)
// RoPE in GGUF, so its rows are not permuted.
#include <cstdint>
#include <string>

#include "convert/hf_checkpoint.h"
#include "convert/hf_tokenizer.h"
#include "core/thread_pool.h"
#include "gguf/writer.h"
#include "quant/tensor_type.h"

namespace pagoda::convert {

struct ConvertOptions {
  // Type of the 2-D weight matrices: F32, F16, BF16 or Q8_0. Norm gains and
  // biases stay F32; a matrix whose rows do not fill whole blocks falls back
  // to F16.
  quant::TensorType matrix_type = quant::TensorType::F16;
  std::string name;  // general.name; the directory's name when empty
};

struct ConvertSummary {
  std::string arch;
  int64_t n_tensors = 0;
  int64_t n_parameters = 0;
  TokenizerSummary tokenizer;
};

ConvertSummary convert_hf(const HfCheckpoint& ck, const ConvertOptions& options, gguf::Writer& w, ThreadPool& pool);

// Only the tokenizer: general.architecture (from config.json, "llama" when
// absent), general.name and the tokenizer keys, as llama.cpp's vocab files.
TokenizerSummary convert_vocab_only(const HfCheckpoint& ck, const std::string& name, gguf::Writer& w);

}  // namespace pagoda::convert
