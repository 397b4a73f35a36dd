#include "model/hparams.h"

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

}  // namespace

HParams read_hparams(const gguf::File& f) {
  HParams hp;
  hp.arch = f.get_string("general.architecture").value_or("");
  if (hp.arch.empty()) fail("model metadata is missing 'general.architecture'");
  if (hp.arch != "llama" && hp.arch != "qwen2" && hp.arch != "qwen3") {
    fail("architecture '", hp.arch, "' is not supported yet (supported: llama, qwen2, qwen3)");
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

  hp.rope.head_dim = hp.head_dim;
  hp.rope.n_rot = static_cast<int>(f.get_int(p + "rope.dimension_count").value_or(hp.head_dim));
  if (hp.rope.n_rot <= 0 || hp.rope.n_rot > hp.head_dim || hp.rope.n_rot % 2 != 0) {
    fail("model metadata '", p, "rope.dimension_count' = ", hp.rope.n_rot, " is invalid for head size ", hp.head_dim);
  }
  hp.rope.freq_base = static_cast<float>(f.get_float(p + "rope.freq_base").value_or(10000.0));
  const std::string scaling = f.get_string(p + "rope.scaling.type").value_or("none");
  if (scaling == "linear") {
    const double factor = f.get_float(p + "rope.scaling.factor").value_or(1.0);
    if (!(factor > 0.0)) fail("model metadata '", p, "rope.scaling.factor' must be positive");
    hp.rope.freq_scale = static_cast<float>(1.0 / factor);
  } else if (scaling != "none") {
    fail("rope scaling type '", scaling, "' is not supported yet");
  }
  // llama: GGUF stores Q/K permuted for adjacent pairs; qwen2/qwen3 keep
  // the rotate-half (NeoX) layout of their checkpoints.
  hp.rope.ordering = hp.arch == "llama" ? kernels::RopeOrdering::Normal : kernels::RopeOrdering::NeoX;

  if (const gguf::Array* tokens = f.get_array("tokenizer.ggml.tokens")) {
    hp.n_vocab = static_cast<int64_t>(tokens->items.size());
  }
  if (auto v = f.get_int(p + "vocab_size")) hp.n_vocab = *v;
  return hp;
}

}  // namespace pagoda::model
