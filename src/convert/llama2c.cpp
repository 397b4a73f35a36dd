#include "convert/llama2c.h"

#include <cstring>
#include <vector>

#include "convert/model_keys.h"
#include "convert/quantize_model.h"
#include "core/error.h"
#include "core/mapped_file.h"
#include "quant/dequantize.h"

namespace pagoda::convert {
namespace {

struct Header {
  int32_t dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len;
};

// Reads the float32 arrays of the checkpoint in order.
class Cursor {
 public:
  Cursor(const MappedFile& f, std::string path) : f_(f), path_(std::move(path)), pos_(sizeof(Header)) {}
  const float* take(int64_t n) {
    const uint64_t bytes = static_cast<uint64_t>(n) * 4;
    if (pos_ + bytes > f_.size()) fail(path_, ": ends after ", f_.size(), " bytes; the header promises more weights");
    // The 28-byte header and whole floats after it keep every array 4-byte
    // aligned in the page-aligned mapping.
    const auto* p = reinterpret_cast<const float*>(f_.data() + pos_);
    pos_ += bytes;
    return p;
  }
  uint64_t pos() const { return pos_; }

 private:
  const MappedFile& f_;
  std::string path_;
  uint64_t pos_;
};

void write_tokenizer_bin(const std::string& path, int64_t n_vocab, gguf::Writer& w) {
  const MappedFile f = MappedFile::open(path);
  uint64_t pos = 4;  // max_token_length
  if (f.size() < pos) fail(path, ": too small for a llama2.c tokenizer");
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  for (int64_t i = 0; i < n_vocab; ++i) {
    float score;
    int32_t len;
    if (pos + 8 > f.size()) fail(path, ": has ", i, " tokens, the model ", n_vocab);
    std::memcpy(&score, f.data() + pos, 4);
    std::memcpy(&len, f.data() + pos + 4, 4);
    pos += 8;
    if (len < 0 || pos + static_cast<uint64_t>(len) > f.size()) fail(path, ": token ", i, " has a bad length ", len);
    std::string t(reinterpret_cast<const char*>(f.data() + pos), static_cast<size_t>(len));
    pos += static_cast<uint64_t>(len);
    int32_t type = 1;  // normal
    if (t == "\n<s>\n" || t == "\n</s>\n") {
      t = t.substr(1, t.size() - 2);
      type = 3;  // control
    } else if (t == "<unk>") {
      type = 2;
    } else if (t.size() == 6 && t.rfind("<0x", 0) == 0 && t.back() == '>') {
      type = 6;  // byte
    } else {
      std::string spm;
      for (char c : t) spm += c == ' ' ? std::string("\xE2\x96\x81") : std::string(1, c);
      t = spm;
    }
    tokens.push_back(std::move(t));
    scores.push_back(score);
    types.push_back(type);
  }
  w.set("tokenizer.ggml.model", gguf::Value::string("llama"));
  w.set("tokenizer.ggml.tokens", gguf::Value::string_array(tokens));
  w.set("tokenizer.ggml.scores", gguf::Value::f32_array(scores));
  w.set("tokenizer.ggml.token_type", gguf::Value::i32_array(types));
  w.set("tokenizer.ggml.unknown_token_id", gguf::Value::u32(0));
  w.set("tokenizer.ggml.bos_token_id", gguf::Value::u32(1));
  w.set("tokenizer.ggml.eos_token_id", gguf::Value::u32(2));
}

}  // namespace

Llama2cSummary convert_llama2c(const std::string& model_path, const std::string& tokenizer_path,
                               quant::TensorType matrix_type, const std::string& name, gguf::Writer& w,
                               ThreadPool& pool) {
  const MappedFile f = MappedFile::open(model_path);
  if (f.size() < sizeof(Header)) fail(model_path, ": too small for a llama2.c checkpoint header");
  Header h;
  std::memcpy(&h, f.data(), sizeof h);
  const bool shared = h.vocab_size > 0;
  const int64_t vocab = shared ? h.vocab_size : -static_cast<int64_t>(h.vocab_size);
  if (h.dim <= 0 || h.hidden_dim <= 0 || h.n_layers <= 0 || h.n_heads <= 0 || h.n_kv_heads <= 0 || vocab <= 0 ||
      h.seq_len <= 0 || h.dim % h.n_heads != 0 || h.n_heads % h.n_kv_heads != 0 || h.dim > (1 << 16) ||
      h.hidden_dim > (1 << 18) || h.n_layers > 1024 || vocab > (1 << 22) || h.seq_len > (1 << 20)) {
    fail(model_path, ": header (dim ", h.dim, ", hidden ", h.hidden_dim, ", layers ", h.n_layers, ", heads ", h.n_heads,
         "/", h.n_kv_heads, ", vocab ", h.vocab_size, ", seq_len ", h.seq_len, ") is not a llama2.c checkpoint");
  }
  const int64_t dim = h.dim, hidden = h.hidden_dim, layers = h.n_layers, head = dim / h.n_heads;
  const int64_t kv_dim = h.n_kv_heads * head;

  ModelShape s;
  s.arch = "llama";
  s.n_ctx = h.seq_len;
  s.n_embd = dim;
  s.n_layer = layers;
  s.n_ff = hidden;
  s.n_head = h.n_heads;
  s.n_head_kv = h.n_kv_heads;
  s.head_dim = head;
  s.n_vocab = vocab;
  s.rms_eps = 1e-5;
  w.set("general.architecture", gguf::Value::string("llama"));
  w.set("general.name", gguf::Value::string(name.empty() ? "llama2c" : name));
  w.set("general.file_type", gguf::Value::u32(file_type_of(matrix_type)));
  set_model_shape(w, s);
  write_tokenizer_bin(tokenizer_path, vocab, w);

  Cursor c(f, model_path);
  const auto matrix_of = [&](const float* p, int64_t rows, int64_t cols) {
    const quant::TensorType t = cols % quant::type_info(matrix_type).block_size == 0 ? matrix_type : quant::TensorType::F32;
    return std::make_pair(t, quantize_matrix(t, p, rows, cols, pool));
  };
  const auto add_matrix = [&](const std::string& n, const float* p, int64_t rows, int64_t cols) {
    auto [t, data] = matrix_of(p, rows, cols);
    w.add_tensor(n, t, {cols, rows}, std::move(data));
  };
  const auto add_vector = [&](const std::string& n, const float* p, int64_t len) {
    w.add_tensor(n, quant::TensorType::F32, {len}, quantize_matrix(quant::TensorType::F32, p, 1, len, pool));
  };
  const float* embd = c.take(vocab * dim);
  add_matrix("token_embd.weight", embd, vocab, dim);
  const float* att_norm = c.take(layers * dim);
  const float* wq = c.take(layers * dim * dim);
  const float* wk = c.take(layers * kv_dim * dim);
  const float* wv = c.take(layers * kv_dim * dim);
  const float* wo = c.take(layers * dim * dim);
  const float* ffn_norm = c.take(layers * dim);
  const float* w1 = c.take(layers * hidden * dim);
  const float* w2 = c.take(layers * dim * hidden);
  const float* w3 = c.take(layers * hidden * dim);
  add_vector("output_norm.weight", c.take(dim), dim);
  c.take(h.seq_len * head);  // RoPE cos/sin tables: recomputed at run time
  for (int64_t l = 0; l < layers; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    add_vector(p + "attn_norm.weight", att_norm + l * dim, dim);
    add_matrix(p + "attn_q.weight", wq + l * dim * dim, dim, dim);
    add_matrix(p + "attn_k.weight", wk + l * kv_dim * dim, kv_dim, dim);
    add_matrix(p + "attn_v.weight", wv + l * kv_dim * dim, kv_dim, dim);
    add_matrix(p + "attn_output.weight", wo + l * dim * dim, dim, dim);
    add_vector(p + "ffn_norm.weight", ffn_norm + l * dim, dim);
    add_matrix(p + "ffn_gate.weight", w1 + l * hidden * dim, hidden, dim);
    add_matrix(p + "ffn_down.weight", w2 + l * dim * hidden, dim, hidden);
    add_matrix(p + "ffn_up.weight", w3 + l * hidden * dim, hidden, dim);
  }
  if (!shared) add_matrix("output.weight", c.take(vocab * dim), vocab, dim);
  if (c.pos() != f.size()) {
    fail(model_path, ": ", f.size() - c.pos(), " bytes follow the weights the header describes");
  }
  return {layers, dim, vocab, shared};
}

}  // namespace pagoda::convert
