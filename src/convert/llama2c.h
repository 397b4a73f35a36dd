#pragma once
// llama2.c checkpoints (`run.c`'s format) to GGUF.
//
// model.bin: seven int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads,
// vocab_size, seq_len; a negative vocab_size means the classifier is not
// shared with the embedding), then float32 arrays: token embedding
// [vocab, dim], attention norms [layers, dim], wq [layers, dim, dim], wk and
// wv [layers, kv_dim, dim], wo [layers, dim, dim], FFN norms [layers, dim],
// w1 [layers, hidden, dim], w2 [layers, dim, hidden], w3 [layers, hidden,
// dim], the final norm [dim], two RoPE tables [seq_len, head_size/2]
// (ignored), and the classifier [vocab, dim] when not shared. Matrices are
// row-major [out, in], and run.c rotates adjacent pairs, so both carry over
// to GGUF as they are.
//
// tokenizer.bin: int32 max_token_length, then per token: float32 score,
// int32 length, the bytes. As llama2.c's exporter writes SentencePiece
// vocabularies: spaces stand for U+2581, BOS/EOS are "\n<s>\n" / "\n</s>\n".
#include <cstdint>
#include <string>

#include "core/thread_pool.h"
#include "gguf/writer.h"
#include "quant/tensor_type.h"

namespace pagoda::convert {

struct Llama2cSummary {
  int64_t n_layer = 0, n_embd = 0, n_vocab = 0;
  bool shared_classifier = true;
};

// pagoda::Error naming the file for a header that makes no sense or a file
// whose size does not match it.
Llama2cSummary convert_llama2c(const std::string& model_path, const std::string& tokenizer_path,
                               quant::TensorType matrix_type, const std::string& name, gguf::Writer& w,
                               ThreadPool& pool);

}  // namespace pagoda::convert
