#include "model/hparams.h"

#include <cmath>
#include <string_view>

#include "core/error.h"
#include "gguf/file.h"

namespace pagoda::model {
namespace {

int64_t require_int(const gguf::File& f, const std::string& key) {
  auto v = f.get_int(key);
  if (!v) fail("model metadata is missing '", key, "'");
  return *v;
}

int64_t positive(int64_t v, const std::string& key, int64_t max = int64_t{1} << 40) {
  if (v <= 0 || v > max) fail("model metadata '", key, "' = ", v, " is out of range");
  return v;
}

bool is_gemma(const std::string& arch) { return arch == "gemma2" || arch == "gemma3"; }

// The llama.cpp convention: with a pattern of n, layer l slides unless it is
// the last of each group of n (n = 2: 0 slides, 1 is global, ...).
void set_swa_pattern(HParams& hp, int64_t period) {
  hp.swa_layers.assign(static_cast<size_t>(hp.n_layer), 0);
  for (int l = 0; l < hp.n_layer; ++l) hp.swa_layers[static_cast<size_t>(l)] = period == 0 || (l % period < period - 1);
}

void read_rope(const gguf::File& f, const std::string& p, HParams& hp) {
  hp.rope.head_dim = hp.head_dim;
  hp.rope.n_rot = static_cast<int>(f.get_int(p + "rope.dimension_count").value_or(hp.head_dim));
  if (hp.rope.n_rot <= 0 || hp.rope.n_rot > hp.head_dim || hp.rope.n_rot % 2 != 0) {
    fail("model metadata '", p, "rope.dimension_count' = ", hp.rope.n_rot, " is invalid for head size ", hp.head_dim);
  }
  hp.rope.freq_base = static_cast<float>(f.get_float(p + "rope.freq_base").value_or(10000.0));
  if (!(hp.rope.freq_base > 1.0f)) fail("model metadata '", p, "rope.freq_base' must be above 1");
  const std::string scaling = f.get_string(p + "rope.scaling.type").value_or("none");
  const double factor = f.get_float(p + "rope.scaling.factor").value_or(1.0);
  if (scaling == "linear" || scaling == "yarn") {
    if (!(factor > 0.0)) fail("model metadata '", p, "rope.scaling.factor' must be positive");
    hp.rope.freq_scale = static_cast<float>(1.0 / factor);
  } else if (scaling != "none") {
    fail("rope scaling type '", scaling, "' is not supported (supported: none, linear, yarn; Llama 3 scaling comes "
         "as the rope_freqs tensor)");
  }
  hp.rope.attn_factor = static_cast<float>(f.get_float(p + "rope.scaling.attn_factor").value_or(1.0));
  if (scaling == "yarn") {
    hp.rope.yarn_ext_factor = static_cast<float>(f.get_float(p + "rope.scaling.yarn_ext_factor").value_or(1.0));
    hp.rope.yarn_beta_fast = static_cast<float>(f.get_float(p + "rope.scaling.yarn_beta_fast").value_or(32.0));
    hp.rope.yarn_beta_slow = static_cast<float>(f.get_float(p + "rope.scaling.yarn_beta_slow").value_or(1.0));
    hp.rope.yarn_orig_ctx = positive(f.get_int(p + "rope.scaling.original_context_length").value_or(hp.n_ctx_train),
                                     p + "rope.scaling.original_context_length");
  }
  // llama: GGUF stores Q/K permuted for adjacent pairs; the other families
  // keep the rotate-half (NeoX) layout of their checkpoints.
  hp.rope.ordering = hp.arch == "llama" ? kernels::RopeOrdering::Normal : kernels::RopeOrdering::NeoX;
}

// Gemma 2/3: scaled embeddings, GeGLU, soft-capping (2), interleaved
// sliding-window layers with their own RoPE base (3).
void read_gemma(const gguf::File& f, const std::string& p, HParams& hp) {
  hp.embd_scale = std::sqrt(static_cast<float>(hp.n_embd));
  hp.ffn_act = FfnActivation::GeluTanh;
  // The 27B models scale queries by the model width per head, not head_dim.
  const bool is_27b = (hp.arch == "gemma2" && hp.n_layer == 46) || (hp.arch == "gemma3" && hp.n_layer == 62);
  hp.attn_scale = 1.0f / std::sqrt(static_cast<float>(is_27b ? hp.n_embd / hp.n_head : hp.head_dim));
  hp.rope_swa = hp.rope;
  if (hp.arch == "gemma2") {
    hp.attn_softcap = static_cast<float>(f.get_float(p + "attn_logit_softcapping").value_or(50.0));
    hp.final_softcap = static_cast<float>(f.get_float(p + "final_logit_softcapping").value_or(30.0));
    hp.n_swa = f.get_int(p + "attention.sliding_window").value_or(4096);
    set_swa_pattern(hp, f.get_int(p + "attention.sliding_window_pattern").value_or(2));
    hp.rope_swa.freq_base = static_cast<float>(f.get_float(p + "rope.freq_base_swa").value_or(hp.rope.freq_base));
  } else {
    hp.final_softcap = static_cast<float>(f.get_float(p + "final_logit_softcapping").value_or(0.0));
    hp.n_swa = f.get_int(p + "attention.sliding_window").value_or(0);
    if (hp.n_swa > 0) set_swa_pattern(hp, f.get_int(p + "attention.sliding_window_pattern").value_or(6));
    hp.rope_swa.freq_scale = 1.0f;  // the local layers are not scaled
    hp.rope_swa.yarn_ext_factor = 0.0f;
    hp.rope_swa.freq_base = static_cast<float>(f.get_float(p + "rope.freq_base_swa").value_or(10000.0));
  }
  if (hp.n_swa < 0) fail("model metadata '", p, "attention.sliding_window' must not be negative");
  if (hp.attn_softcap < 0.0f || hp.final_softcap < 0.0f) fail("model metadata: soft-capping values must not be negative");
}

}  // namespace

HParams read_hparams(const gguf::File& f) {
  HParams hp;
  hp.arch = f.get_string("general.architecture").value_or("");
  if (hp.arch.empty()) fail("model metadata is missing 'general.architecture'");
  if (hp.arch != "llama" && hp.arch != "qwen2" && hp.arch != "qwen3" && hp.arch != "phi3" && !is_gemma(hp.arch)) {
    fail("architecture '", hp.arch, "' is not supported yet (supported: llama, qwen2, qwen3, phi3, gemma2, gemma3)");
  }
  hp.name = f.get_string("general.name").value_or("");
  const std::string p = hp.arch + ".";

  hp.n_embd = positive(require_int(f, p + "embedding_length"), p + "embedding_length", 1 << 20);
  hp.n_layer = static_cast<int>(positive(require_int(f, p + "block_count"), p + "block_count", 4096));
  hp.n_ff = positive(require_int(f, p + "feed_forward_length"), p + "feed_forward_length", 1 << 22);
  hp.n_head = static_cast<int>(positive(require_int(f, p + "attention.head_count"), p + "attention.head_count", 4096));
  hp.n_head_kv = static_cast<int>(
      positive(f.get_int(p + "attention.head_count_kv").value_or(hp.n_head), p + "attention.head_count_kv", 4096));
  if (hp.n_head % hp.n_head_kv != 0) {
    fail("attention.head_count (", hp.n_head, ") is not a multiple of attention.head_count_kv (", hp.n_head_kv, ")");
  }
  if (hp.n_embd % hp.n_head != 0 && !f.has(p + "attention.key_length")) {
    fail("embedding_length (", hp.n_embd, ") is not a multiple of attention.head_count (", hp.n_head, ")");
  }
  hp.head_dim = static_cast<int>(
      positive(f.get_int(p + "attention.key_length").value_or(hp.n_embd / hp.n_head), p + "attention.key_length", 4096));
  hp.n_ctx_train = positive(f.get_int(p + "context_length").value_or(2048), p + "context_length");
  hp.rms_eps = static_cast<float>(f.get_float(p + "attention.layer_norm_rms_epsilon").value_or(1e-5));
  if (!(hp.rms_eps > 0.0f)) fail("model metadata '", p, "attention.layer_norm_rms_epsilon' must be positive");

  read_rope(f, p, hp);
  hp.attn_scale = 1.0f / std::sqrt(static_cast<float>(hp.head_dim));
  // Phi-3's sliding window is not applied (as llama.cpp does not: its
  // metadata does not say which layers slide).
  if (is_gemma(hp.arch)) read_gemma(f, p, hp);

  if (const gguf::Array* tokens = f.get_array("tokenizer.ggml.tokens")) {
    hp.n_vocab = static_cast<int64_t>(tokens->items.size());
  }
  if (auto v = f.get_int(p + "vocab_size")) hp.n_vocab = *v;
  return hp;
}

}  // namespace pagoda::model
