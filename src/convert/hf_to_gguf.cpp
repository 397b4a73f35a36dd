#include "convert/hf_to_gguf.h"

#include <cmath>
#include <cstring>
#include <optional>
#include <regex>
#include <vector>

#include "convert/model_keys.h"
#include "convert/quantize_model.h"
#include "core/error.h"
#include "quant/dequantize.h"

namespace pagoda::convert {
namespace {

using nlohmann::json;

struct Family {
  std::string arch;        // GGUF general.architecture
  bool permute_qk;         // rotate-half -> interleaved rows for q/k
  bool attention_bias;     // q/k/v biases expected
};

Family family_of(const json& config) {
  std::string name;
  if (config.contains("architectures") && config["architectures"].is_array() && !config["architectures"].empty()) {
    name = config["architectures"][0].get<std::string>();
  }
  const std::string model_type = config.value("model_type", "");
  if (name == "LlamaForCausalLM" || name == "MistralForCausalLM" || (name.empty() && (model_type == "llama" || model_type == "mistral"))) {
    return {"llama", !config.value("pagoda_rope_interleaved", false), false};
  }
  if (name == "Qwen2ForCausalLM" || (name.empty() && model_type == "qwen2")) return {"qwen2", false, true};
  if (name == "Qwen3ForCausalLM" || (name.empty() && model_type == "qwen3")) return {"qwen3", false, false};
  fail("config.json: architecture '", name.empty() ? model_type : name,
       "' is not supported (supported: LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM)");
}

int64_t int_key(const json& config, const char* key, std::optional<int64_t> fallback = std::nullopt) {
  const auto it = config.find(key);
  if (it == config.end() || it->is_null()) {
    if (fallback) return *fallback;
    fail("config.json: missing '", key, "'");
  }
  if (!it->is_number_integer() || it->get<int64_t>() <= 0) fail("config.json: '", key, "' must be a positive integer");
  return it->get<int64_t>();
}

ModelShape shape_of(const json& config, const std::string& arch) {
  ModelShape s;
  s.arch = arch;
  s.n_embd = int_key(config, "hidden_size");
  s.n_layer = int_key(config, "num_hidden_layers");
  s.n_ff = int_key(config, "intermediate_size");
  s.n_head = int_key(config, "num_attention_heads");
  s.n_head_kv = int_key(config, "num_key_value_heads", s.n_head);
  s.head_dim = int_key(config, "head_dim", s.n_embd / s.n_head);
  s.n_ctx = int_key(config, "max_position_embeddings", 2048);
  s.n_vocab = int_key(config, "vocab_size");
  s.rms_eps = config.value("rms_norm_eps", 1e-6);
  s.rope_base = config.value("rope_theta", 10000.0);
  if (s.n_head % s.n_head_kv != 0) fail("config.json: num_attention_heads is not a multiple of num_key_value_heads");
  return s;
}

// config.json's rope_scaling: "linear" becomes the rope.scaling keys,
// "llama3" (Llama 3.1/3.2) a rope_freqs.weight tensor of per-pair
// frequency divisors; others are refused.
void write_rope_scaling(const json& config, const ModelShape& s, gguf::Writer& w) {
  const auto it = config.find("rope_scaling");
  if (it == config.end() || it->is_null()) return;
  const json& rs = *it;
  const std::string type = rs.value("rope_type", rs.value("type", ""));
  const double factor = rs.value("factor", 1.0);
  if (!(factor > 0)) fail("config.json: rope_scaling.factor must be positive");
  if (type == "linear") {
    w.set(s.arch + ".rope.scaling.type", gguf::Value::string("linear"));
    w.set(s.arch + ".rope.scaling.factor", gguf::Value::f32(static_cast<float>(factor)));
    return;
  }
  if (type != "llama3") fail("config.json: rope_scaling type '", type, "' is not supported (supported: linear, llama3)");
  const double low = rs.value("low_freq_factor", 1.0), high = rs.value("high_freq_factor", 4.0);
  const double old_ctx = rs.value("original_max_position_embeddings", 8192.0);
  if (!(high > low)) fail("config.json: rope_scaling needs high_freq_factor > low_freq_factor");
  // Wavelengths shorter than old_ctx / high keep their frequency, longer
  // than old_ctx / low are slowed by `factor`, and between the two the
  // divisor moves smoothly from 1 to factor.
  const double low_wavelen = old_ctx / low, high_wavelen = old_ctx / high;
  std::vector<float> divisors;
  for (int64_t i = 0; i < s.head_dim / 2; ++i) {
    const double freq = std::pow(s.rope_base, -2.0 * static_cast<double>(i) / static_cast<double>(s.head_dim));
    const double wavelen = 2.0 * M_PI / freq;
    double d = 1.0;
    if (wavelen > low_wavelen) {
      d = factor;
    } else if (wavelen >= high_wavelen) {
      const double smooth = (old_ctx / wavelen - low) / (high - low);
      d = 1.0 / ((1.0 - smooth) / factor + smooth);
    }
    divisors.push_back(static_cast<float>(d));
  }
  std::vector<uint8_t> bytes(divisors.size() * 4);
  std::memcpy(bytes.data(), divisors.data(), bytes.size());
  w.add_tensor("rope_freqs.weight", quant::TensorType::F32, {static_cast<int64_t>(divisors.size())}, std::move(bytes));
}

// Hugging Face name -> GGUF name; empty for tensors that carry no weights
// (rotary inverse frequencies).
std::string gguf_name(const std::string& hf) {
  static const std::regex layer(R"(model\.layers\.(\d+)\.(.+))");
  static const std::pair<const char*, const char*> kLayer[] = {
      {"input_layernorm.weight", "attn_norm.weight"},
      {"self_attn.q_proj.weight", "attn_q.weight"},
      {"self_attn.k_proj.weight", "attn_k.weight"},
      {"self_attn.v_proj.weight", "attn_v.weight"},
      {"self_attn.o_proj.weight", "attn_output.weight"},
      {"self_attn.q_proj.bias", "attn_q.bias"},
      {"self_attn.k_proj.bias", "attn_k.bias"},
      {"self_attn.v_proj.bias", "attn_v.bias"},
      {"self_attn.q_norm.weight", "attn_q_norm.weight"},
      {"self_attn.k_norm.weight", "attn_k_norm.weight"},
      {"post_attention_layernorm.weight", "ffn_norm.weight"},
      {"mlp.gate_proj.weight", "ffn_gate.weight"},
      {"mlp.up_proj.weight", "ffn_up.weight"},
      {"mlp.down_proj.weight", "ffn_down.weight"},
  };
  if (hf == "model.embed_tokens.weight") return "token_embd.weight";
  if (hf == "model.norm.weight") return "output_norm.weight";
  if (hf == "lm_head.weight") return "output.weight";
  std::smatch m;
  if (std::regex_match(hf, m, layer)) {
    const std::string rest = m[2].str();
    if (rest == "self_attn.rotary_emb.inv_freq") return "";
    for (const auto& [from, to] : kLayer) {
      if (rest == from) return "blk." + m[1].str() + "." + to;
    }
  }
  fail("tensor '", hf, "' is not part of the model families this converter knows");
}

// Rows of q or k from rotate-half order (within each head: the first halves
// of all pairs, then the second halves) to interleaved pairs.
std::vector<float> permute_rows(const std::vector<float>& in, int64_t n_heads, int64_t rows, int64_t cols) {
  if (rows % n_heads != 0 || (rows / n_heads) % 2 != 0) fail("cannot split ", rows, " rows into ", n_heads, " RoPE heads");
  const int64_t hd = rows / n_heads, half = hd / 2;
  std::vector<float> out(in.size());
  for (int64_t h = 0; h < n_heads; ++h) {
    for (int64_t i = 0; i < half; ++i) {
      for (int64_t part = 0; part < 2; ++part) {
        const int64_t src = h * hd + part * half + i, dst = h * hd + 2 * i + part;
        std::memcpy(&out[static_cast<size_t>(dst * cols)], &in[static_cast<size_t>(src * cols)],
                    static_cast<size_t>(cols) * sizeof(float));
      }
    }
  }
  return out;
}

}  // namespace

ConvertSummary convert_hf(const HfCheckpoint& ck, const ConvertOptions& options, gguf::Writer& w, ThreadPool& pool) {
  const json& config = ck.config();
  const Family fam = family_of(config);
  ModelShape shape = shape_of(config, fam.arch);
  const quant::TensorType mt = options.matrix_type;
  if (!quant::can_quantize(mt)) fail("convert: cannot write matrices of type ", quant::type_info(mt).name);

  ConvertSummary summary;
  summary.arch = fam.arch;
  // The embedding's row count is the real vocabulary size.
  const StTensor* embd = ck.tensor("model.embed_tokens.weight");
  if (embd == nullptr || embd->shape.size() != 2) fail("checkpoint has no 2-D model.embed_tokens.weight");
  if (embd->shape[1] != shape.n_embd) fail("model.embed_tokens.weight has ", embd->shape[1], " columns, hidden_size is ", shape.n_embd);
  shape.n_vocab = embd->shape[0];

  w.set("general.architecture", gguf::Value::string(fam.arch));
  w.set("general.name", gguf::Value::string(options.name.empty() ? ck.dir().filename().string() : options.name));
  w.set("general.file_type", gguf::Value::u32(file_type_of(mt)));
  if (quant::type_info(mt).block_size > 1) w.set("general.quantization_version", gguf::Value::u32(2));
  set_model_shape(w, shape);
  write_rope_scaling(config, shape, w);
  summary.tokenizer = write_tokenizer(w, ck, shape.n_vocab);
  if (summary.tokenizer.n_tokens != shape.n_vocab) {
    fail("the tokenizer has ", summary.tokenizer.n_tokens, " tokens but the embedding has ", shape.n_vocab, " rows");
  }

  const int64_t q_rows = shape.n_head * shape.head_dim, kv_rows = shape.n_head_kv * shape.head_dim;
  for (const StTensor* t : ck.tensors()) {
    const std::string name = gguf_name(t->name);
    if (name.empty()) continue;
    if (t->shape.empty() || t->shape.size() > 2) fail("tensor '", t->name, "' has ", t->shape.size(), " dimensions");
    if (!fam.attention_bias && name.ends_with(".bias")) fail("tensor '", t->name, "': unexpected bias for ", fam.arch);
    std::vector<float> values = to_f32(*t);
    const int64_t rows = t->shape.size() == 2 ? t->shape[0] : 1;
    const int64_t cols = t->shape.back();
    if (fam.permute_qk && (name.find(".attn_q.") != std::string::npos || name.find(".attn_k.") != std::string::npos)) {
      const bool is_q = name.find(".attn_q.") != std::string::npos;
      const int64_t heads = is_q ? shape.n_head : shape.n_head_kv;
      const int64_t expect = is_q ? q_rows : kv_rows;
      if (t->shape.size() == 2) {
        if (rows != expect) fail("tensor '", t->name, "' has ", rows, " rows, expected ", expect);
        values = permute_rows(values, heads, rows, cols);
      } else {
        values = permute_rows(values, heads, cols, 1);
      }
    }
    quant::TensorType type = quant::TensorType::F32;
    if (t->shape.size() == 2) type = cols % quant::type_info(mt).block_size == 0 ? mt : quant::TensorType::F16;
    std::vector<int64_t> dims = t->shape.size() == 2 ? std::vector<int64_t>{cols, rows} : std::vector<int64_t>{cols};
    w.add_tensor(name, type, std::move(dims), quantize_matrix(type, values.data(), rows, cols, pool));
    summary.n_tensors += 1;
    summary.n_parameters += t->n_elements();
  }
  return summary;
}

TokenizerSummary convert_vocab_only(const HfCheckpoint& ck, const std::string& name, gguf::Writer& w) {
  std::string arch = "llama";
  if (ck.config().contains("architectures") || ck.config().contains("model_type")) arch = family_of(ck.config()).arch;
  w.set("general.architecture", gguf::Value::string(arch));
  w.set("general.name", gguf::Value::string(name.empty() ? ck.dir().filename().string() : name));
  return write_tokenizer(w, ck, 0);
}

}  // namespace pagoda::convert
