#include "convert/model_keys.h"

namespace pagoda::convert {

void set_model_shape(gguf::Writer& w, const ModelShape& s) {
  const std::string p = s.arch + ".";
  const auto u32 = [](int64_t v) { return gguf::Value::u32(static_cast<uint32_t>(v)); };
  w.set("general.architecture", gguf::Value::string(s.arch));
  w.set(p + "context_length", u32(s.n_ctx));
  w.set(p + "embedding_length", u32(s.n_embd));
  w.set(p + "block_count", u32(s.n_layer));
  w.set(p + "feed_forward_length", u32(s.n_ff));
  w.set(p + "rope.dimension_count", u32(s.head_dim));
  w.set(p + "attention.head_count", u32(s.n_head));
  w.set(p + "attention.head_count_kv", u32(s.n_head_kv));
  if (s.head_dim * s.n_head != s.n_embd) {
    w.set(p + "attention.key_length", u32(s.head_dim));
    w.set(p + "attention.value_length", u32(s.head_dim));
  }
  w.set(p + "attention.layer_norm_rms_epsilon", gguf::Value::f32(static_cast<float>(s.rms_eps)));
  w.set(p + "rope.freq_base", gguf::Value::f32(static_cast<float>(s.rope_base)));
  w.set(p + "vocab_size", u32(s.n_vocab));
}

uint32_t file_type_of(quant::TensorType t) {
  switch (t) {
    case quant::TensorType::F32: return 0;
    case quant::TensorType::F16: return 1;
    case quant::TensorType::Q4_0: return 2;
    case quant::TensorType::Q4_1: return 3;
    case quant::TensorType::Q8_0: return 7;
    case quant::TensorType::Q5_0: return 8;
    case quant::TensorType::Q5_1: return 9;
    case quant::TensorType::BF16: return 32;
    default: return 0;
  }
}

}  // namespace pagoda::convert
