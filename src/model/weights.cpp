#include "model/weights.h"

#include "core/error.h"
#include "gguf/file.h"
#include "quant/dequantize.h"

namespace pagoda::model {
namespace {

std::string shape_str(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

const gguf::TensorInfo& require(const gguf::File& f, const std::string& name) {
  const gguf::TensorInfo* t = f.tensor(name);
  if (!t) fail("model is missing tensor '", name, "'");
  return *t;
}

kernels::MatrixView matrix_from(const gguf::TensorInfo& t) {
  if (!quant::type_info(t.type).can_dequantize) {
    fail("tensor '", t.name, "' has type ", quant::type_info(t.type).name, ", which is not supported yet");
  }
  kernels::MatrixView m;
  m.type = t.type;
  m.data = t.data;
  m.cols = t.dims[0];
  m.rows = t.dims.size() > 1 ? t.n_elements() / t.dims[0] : 1;
  m.row_bytes = quant::row_bytes(t.type, m.cols);
  return m;
}

// cols x rows in ggml order, as the file must store the matrix.
kernels::MatrixView matrix(const gguf::File& f, const std::string& name, int64_t cols, int64_t rows) {
  const gguf::TensorInfo& t = require(f, name);
  if (t.dims.size() != 2 || t.dims[0] != cols || t.dims[1] != rows) {
    fail("tensor '", name, "' has shape ", shape_str(t.dims), ", expected ", shape_str({cols, rows}));
  }
  return matrix_from(t);
}

// Rows [first, first + n) of a matrix, as a view of the same bytes.
kernels::MatrixView row_range(const kernels::MatrixView& m, int64_t first, int64_t n) {
  kernels::MatrixView part = m;
  part.data = m.row(first);
  part.rows = n;
  return part;
}

std::vector<float> vector(const gguf::File& f, const std::string& name, int64_t n) {
  const gguf::TensorInfo& t = require(f, name);
  if (t.n_elements() != n) fail("tensor '", name, "' has shape ", shape_str(t.dims), ", expected [", n, "]");
  matrix_from(t);  // checks the type
  std::vector<float> out(static_cast<size_t>(n));
  quant::dequantize_row(t.type, t.data, out.data(), n);
  return out;
}

std::vector<float> optional_vector(const gguf::File& f, const std::string& name, int64_t n) {
  return f.tensor(name) ? vector(f, name, n) : std::vector<float>{};
}

}  // namespace

Weights bind_weights(const gguf::File& f, HParams& hp) {
  Weights w;
  const gguf::TensorInfo& embd = require(f, "token_embd.weight");
  if (embd.dims.size() != 2 || embd.dims[0] != hp.n_embd) {
    fail("tensor 'token_embd.weight' has shape ", shape_str(embd.dims), ", expected [", hp.n_embd, ", n_vocab]");
  }
  hp.n_vocab = embd.dims[1];
  w.token_embd = matrix_from(embd);
  w.output_norm = vector(f, "output_norm.weight", hp.n_embd);
  if (f.tensor("output.weight")) {
    w.output = matrix(f, "output.weight", hp.n_embd, hp.n_vocab);
  } else {
    w.output = w.token_embd;
    w.tied_output = true;
  }
  if (f.tensor("rope_freqs.weight")) w.rope_freqs = vector(f, "rope_freqs.weight", hp.rope.n_rot / 2);
  for (int l = 0; l < hp.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    LayerWeights lw;
    lw.attn_norm = vector(f, p + "attn_norm.weight", hp.n_embd);
    if (f.tensor(p + "attn_qkv.weight")) {  // Phi-3: Q, K and V rows in one matrix
      const auto qkv = matrix(f, p + "attn_qkv.weight", hp.n_embd, hp.q_dim() + 2 * hp.kv_dim());
      lw.wq = row_range(qkv, 0, hp.q_dim());
      lw.wk = row_range(qkv, hp.q_dim(), hp.kv_dim());
      lw.wv = row_range(qkv, hp.q_dim() + hp.kv_dim(), hp.kv_dim());
    } else {
      lw.wq = matrix(f, p + "attn_q.weight", hp.n_embd, hp.q_dim());
      lw.wk = matrix(f, p + "attn_k.weight", hp.n_embd, hp.kv_dim());
      lw.wv = matrix(f, p + "attn_v.weight", hp.n_embd, hp.kv_dim());
    }
    lw.wo = matrix(f, p + "attn_output.weight", hp.q_dim(), hp.n_embd);
    // Q/K norms (Qwen3): optional, both or none.
    if (f.tensor(p + "attn_q_norm.weight")) {
      lw.q_norm = vector(f, p + "attn_q_norm.weight", hp.head_dim);
      lw.k_norm = vector(f, p + "attn_k_norm.weight", hp.head_dim);
    }
    // Q/K/V biases (Qwen2): optional, all three or none.
    if (f.tensor(p + "attn_q.bias")) {
      lw.bq = vector(f, p + "attn_q.bias", hp.q_dim());
      lw.bk = vector(f, p + "attn_k.bias", hp.kv_dim());
      lw.bv = vector(f, p + "attn_v.bias", hp.kv_dim());
    }
    lw.attn_post_norm = optional_vector(f, p + "post_attention_norm.weight", hp.n_embd);
    lw.ffn_norm = vector(f, p + "ffn_norm.weight", hp.n_embd);
    if (!f.tensor(p + "ffn_gate.weight")) {  // Phi-3: gate rows then up rows in ffn_up
      const auto gate_up = matrix(f, p + "ffn_up.weight", hp.n_embd, 2 * hp.n_ff);
      lw.w_gate = row_range(gate_up, 0, hp.n_ff);
      lw.w_up = row_range(gate_up, hp.n_ff, hp.n_ff);
    } else {
      lw.w_gate = matrix(f, p + "ffn_gate.weight", hp.n_embd, hp.n_ff);
      lw.w_up = matrix(f, p + "ffn_up.weight", hp.n_embd, hp.n_ff);
    }
    lw.w_down = matrix(f, p + "ffn_down.weight", hp.n_ff, hp.n_embd);
    lw.ffn_post_norm = optional_vector(f, p + "post_ffw_norm.weight", hp.n_embd);
    w.layers.push_back(std::move(lw));
  }
  return w;
}

}  // namespace pagoda::model
