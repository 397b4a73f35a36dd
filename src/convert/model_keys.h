#pragma once
// The GGUF metadata that describes a decoder model's shape, written the
// way the GGUF ecosystem names it (<arch>.embedding_length, ...), shared by
// the converters and `pagoda mkmodel`.
#include <cstdint>
#include <string>

#include "gguf/writer.h"
#include "quant/tensor_type.h"

namespace pagoda::convert {

struct ModelShape {
  std::string arch = "llama";
  int64_t n_ctx = 2048;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_ff = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;  // written as key/value_length when not n_embd / n_head
  int64_t n_vocab = 0;
  double rms_eps = 1e-5;
  double rope_base = 10000.0;
};

void set_model_shape(gguf::Writer& w, const ModelShape& s);

// general.file_type of a model whose matrices are all of one type (the
// GGUF ecosystem's LLAMA_FTYPE numbering).
uint32_t file_type_of(quant::TensorType t);

}  // namespace pagoda::convert
