// `pagoda mkmodel`: writes a random-weights model (normal, std 0.02) in the
// shape asked for, loadable by Pagoda and by other GGUF engines. Benchmarks
// use it for realistic shapes without a trained model.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "convert/model_keys.h"
#include "core/error.h"
#include "core/thread_pool.h"
#include "gguf/file.h"
#include "gguf/writer.h"
#include "quant/dequantize.h"
#include "sampling/rng.h"

namespace pagoda::cli {
namespace {

constexpr float kWeightStd = 0.02f;

struct Shape {
  int64_t n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx;
};

// Every row has its own generator, so the output does not depend on the
// number of threads.
std::vector<uint8_t> random_matrix(quant::TensorType type, int64_t rows, int64_t cols, uint64_t seed,
                                   uint64_t tensor_index, ThreadPool& pool) {
  const size_t row_bytes = quant::row_bytes(type, cols);
  std::vector<uint8_t> data(row_bytes * static_cast<size_t>(rows));
  pool.parallel_for(rows, [&](int64_t begin, int64_t end) {
    std::vector<float> buf(static_cast<size_t>(cols));
    for (int64_t r = begin; r < end; ++r) {
      sampling::Rng rng(seed ^ (tensor_index * 0x9E3779B97F4A7C15ull) ^ (static_cast<uint64_t>(r) << 20));
      for (int64_t i = 0; i < cols; i += 2) {
        // Box-Muller: two normals from two uniforms.
        const double u1 = 1.0 - rng.uniform();
        const double u2 = rng.uniform();
        const double radius = std::sqrt(-2.0 * std::log(u1)) * kWeightStd;
        buf[static_cast<size_t>(i)] = static_cast<float>(radius * std::cos(2.0 * M_PI * u2));
        if (i + 1 < cols) buf[static_cast<size_t>(i + 1)] = static_cast<float>(radius * std::sin(2.0 * M_PI * u2));
      }
      quant::quantize_row(type, buf.data(), data.data() + static_cast<size_t>(r) * row_bytes, cols);
    }
  });
  return data;
}

std::vector<uint8_t> ones(int64_t n) {
  std::vector<float> v(static_cast<size_t>(n), 1.0f);
  std::vector<uint8_t> bytes(v.size() * sizeof(float));
  std::memcpy(bytes.data(), v.data(), bytes.size());
  return bytes;
}

// A byte-fallback SPM vocabulary for when no --vocab-from is given: control
// tokens, the 256 byte tokens, then single characters and short pieces.
void write_synthetic_vocab(gguf::Writer& w, int64_t size) {
  if (size < 259 + 1) fail("--vocab-size must be at least 260 (3 control tokens + 256 byte tokens + 1)");
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> kinds = {2, 3, 3};
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    tokens.emplace_back(buf);
    kinds.push_back(6);
  }
  const std::string space = "\xE2\x96\x81";  // U+2581, SPM's visible space
  std::vector<std::string> pieces = {space};
  for (char c = 'a'; c <= 'z'; ++c) pieces.emplace_back(1, c);
  for (char c = 'a'; c <= 'z'; ++c) pieces.push_back(space + c);
  for (char c = 'A'; c <= 'Z'; ++c) pieces.emplace_back(1, c);
  for (char c = '0'; c <= '9'; ++c) pieces.emplace_back(1, c);
  for (char c : std::string(".,!?'\"-:;()")) pieces.emplace_back(1, c);
  for (char a = 'a'; a <= 'z' && static_cast<int64_t>(pieces.size() + tokens.size()) < size; ++a) {
    for (char b = 'a'; b <= 'z'; ++b) pieces.push_back(std::string(1, a) + b);
  }
  for (const auto& p : pieces) {
    if (static_cast<int64_t>(tokens.size()) >= size) break;
    tokens.push_back(p);
    kinds.push_back(1);
  }
  while (static_cast<int64_t>(tokens.size()) < size) {  // pad with unused pieces
    tokens.push_back("<unused" + std::to_string(tokens.size()) + ">");
    kinds.push_back(5);
  }
  std::vector<float> scores(tokens.size());
  for (size_t i = 0; i < scores.size(); ++i) scores[i] = i < 259 ? 0.0f : -static_cast<float>(i);
  w.set("tokenizer.ggml.model", gguf::Value::string("llama"));
  w.set("tokenizer.ggml.tokens", gguf::Value::string_array(tokens));
  w.set("tokenizer.ggml.scores", gguf::Value::f32_array(scores));
  w.set("tokenizer.ggml.token_type", gguf::Value::i32_array(kinds));
  w.set("tokenizer.ggml.unknown_token_id", gguf::Value::u32(0));
  w.set("tokenizer.ggml.bos_token_id", gguf::Value::u32(1));
  w.set("tokenizer.ggml.eos_token_id", gguf::Value::u32(2));
}

// Copies the tokenizer keys of a vocab GGUF; returns the vocabulary size.
int64_t copy_vocab(gguf::Writer& w, const std::string& path) {
  const gguf::File vocab = gguf::File::open(path);
  for (const auto& [key, value] : vocab.metadata()) {
    if (key.rfind("tokenizer.", 0) == 0) w.set(key, value);
  }
  const gguf::Array* tokens = vocab.get_array("tokenizer.ggml.tokens");
  if (!tokens || tokens->items.empty()) fail(path, ": no tokenizer.ggml.tokens in the vocab file");
  return static_cast<int64_t>(tokens->items.size());
}

}  // namespace

int mkmodel_command(const std::vector<std::string>& argv) {
  const Args args(argv,
                  {"--arch", "--n-embd", "--n-layer", "--n-head", "--n-head-kv", "--n-ff", "--n-ctx", "--vocab-from",
                   "--vocab-size", "--type", "--seed", "--threads", "--output", "--name", "--rope-freq-base",
                   "--head-dim", "--sliding-window", "--swa-pattern", "--rope-scaling", "--rope-scale",
                   "--rope-orig-ctx"},
                  {}, {{"-o", "--output"}, {"-t", "--threads"}});
  const std::string arch = args.str("--arch", "llama");
  const bool gemma = arch == "gemma2" || arch == "gemma3";
  if (arch != "llama" && arch != "qwen2" && arch != "qwen3" && arch != "phi3" && !gemma) {
    fail("mkmodel: architecture '", arch, "' is not supported (supported: llama, qwen2, qwen3, phi3, gemma2, gemma3)");
  }
  Shape s{args.integer("--n-embd", 256), args.integer("--n-layer", 4), args.integer("--n-head", 8), 0,
          args.integer("--n-ff", 0), args.integer("--n-ctx", 2048)};
  s.n_head_kv = args.integer("--n-head-kv", s.n_head);
  if (s.n_ff == 0) s.n_ff = s.n_embd * 8 / 3;
  if (s.n_embd <= 0 || s.n_layer <= 0 || s.n_head <= 0 || s.n_head_kv <= 0 || s.n_ff <= 0 || s.n_ctx <= 0) {
    fail("mkmodel: every size must be positive");
  }
  if (s.n_embd % s.n_head != 0 && !args.has("--head-dim")) fail("mkmodel: --n-embd must be a multiple of --n-head");
  if (s.n_head % s.n_head_kv != 0) fail("mkmodel: --n-head must be a multiple of --n-head-kv");
  const int64_t head_dim = args.integer("--head-dim", s.n_embd / s.n_head);
  if (head_dim <= 0 || head_dim % 2 != 0) fail("mkmodel: --head-dim must be positive and even");
  const std::string type_name = args.str("--type", "f16");
  const auto type = quant::type_from_name(type_name);
  if (!type || !quant::can_quantize(*type)) fail("mkmodel: cannot write weights of type '", type_name, "'");
  const int64_t block = quant::type_info(*type).block_size;
  if (s.n_embd % block != 0 || s.n_ff % block != 0) {
    fail("mkmodel: --n-embd and --n-ff must be multiples of ", block, " for type ", type_name);
  }
  const std::string out_path = args.required("--output");
  const auto seed = static_cast<uint64_t>(args.integer("--seed", 1));
  ThreadPool pool(static_cast<int>(args.integer("--threads", default_thread_count())));

  gguf::Writer w;
  w.set("general.architecture", gguf::Value::string(arch));
  w.set("general.name", gguf::Value::string(args.str("--name", "pagoda-random")));
  w.set("general.file_type", gguf::Value::u32(convert::file_type_of(*type)));
  if (block > 1) w.set("general.quantization_version", gguf::Value::u32(2));
  int64_t n_vocab = 0;
  if (args.has("--vocab-from")) {
    n_vocab = copy_vocab(w, args.str("--vocab-from", ""));
  } else {
    n_vocab = args.integer("--vocab-size", 512);
    write_synthetic_vocab(w, n_vocab);
  }
  convert::set_model_shape(w, {.arch = arch, .n_ctx = s.n_ctx, .n_embd = s.n_embd, .n_layer = s.n_layer,
                               .n_ff = s.n_ff, .n_head = s.n_head, .n_head_kv = s.n_head_kv, .head_dim = head_dim,
                               .n_vocab = n_vocab, .rms_eps = 1e-5,
                               .rope_base = args.number("--rope-freq-base", gemma ? 1000000.0 : 10000.0)});
  const std::string p = arch + ".";
  if (args.has("--sliding-window")) {
    w.set(p + "attention.sliding_window", gguf::Value::u32(static_cast<uint32_t>(args.integer("--sliding-window", 0))));
  }
  if (args.has("--swa-pattern")) {
    w.set(p + "attention.sliding_window_pattern", gguf::Value::u32(static_cast<uint32_t>(args.integer("--swa-pattern", 0))));
  }
  if (arch == "gemma2") {
    w.set(p + "attn_logit_softcapping", gguf::Value::f32(50.0f));
    w.set(p + "final_logit_softcapping", gguf::Value::f32(30.0f));
  }
  if (args.has("--rope-scaling")) {  // linear or yarn, by --rope-scale
    w.set(p + "rope.scaling.type", gguf::Value::string(args.str("--rope-scaling", "")));
    w.set(p + "rope.scaling.factor", gguf::Value::f32(static_cast<float>(args.number("--rope-scale", 1.0))));
    w.set(p + "rope.scaling.original_context_length",
          gguf::Value::u32(static_cast<uint32_t>(args.integer("--rope-orig-ctx", s.n_ctx))));
  }

  const int64_t q_dim = s.n_head * head_dim;
  const int64_t kv_dim = s.n_head_kv * head_dim;
  uint64_t index = 0;
  const auto add_matrix = [&](const std::string& name, int64_t cols, int64_t rows) {
    w.add_tensor(name, *type, {cols, rows}, random_matrix(*type, rows, cols, seed, index++, pool));
  };
  // 1-D gains around 1 (normal, std 0.02, plus 1), F32 like every 1-D tensor.
  const auto add_gains = [&](const std::string& name, int64_t n) {
    std::vector<uint8_t> g = random_matrix(quant::TensorType::F32, 1, n, seed, index++, pool);
    for (size_t b = 0; b < g.size(); b += 4) {
      float v;
      std::memcpy(&v, &g[b], 4);
      v += 1.0f;
      std::memcpy(&g[b], &v, 4);
    }
    w.add_tensor(name, quant::TensorType::F32, {n}, std::move(g));
  };
  add_matrix("token_embd.weight", s.n_embd, n_vocab);
  w.add_tensor("output_norm.weight", quant::TensorType::F32, {s.n_embd}, ones(s.n_embd));
  if (!gemma) add_matrix("output.weight", s.n_embd, n_vocab);  // Gemma ties the output to the embedding
  for (int64_t l = 0; l < s.n_layer; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    w.add_tensor(b + "attn_norm.weight", quant::TensorType::F32, {s.n_embd}, ones(s.n_embd));
    if (arch == "phi3") {  // fused Q, K, V rows
      add_matrix(b + "attn_qkv.weight", s.n_embd, q_dim + 2 * kv_dim);
    } else {
      add_matrix(b + "attn_q.weight", s.n_embd, q_dim);
      add_matrix(b + "attn_k.weight", s.n_embd, kv_dim);
      add_matrix(b + "attn_v.weight", s.n_embd, kv_dim);
    }
    add_matrix(b + "attn_output.weight", q_dim, s.n_embd);
    if (arch == "qwen3" || arch == "gemma3") {  // per-head Q/K norms
      add_gains(b + "attn_q_norm.weight", head_dim);
      add_gains(b + "attn_k_norm.weight", head_dim);
    }
    if (arch == "qwen2") {  // Q/K/V biases
      const auto bias = [&](const std::string& name, int64_t n) {
        w.add_tensor(name, quant::TensorType::F32, {n}, random_matrix(quant::TensorType::F32, 1, n, seed, index++, pool));
      };
      bias(b + "attn_q.bias", q_dim);
      bias(b + "attn_k.bias", kv_dim);
      bias(b + "attn_v.bias", kv_dim);
    }
    if (gemma) add_gains(b + "post_attention_norm.weight", s.n_embd);
    w.add_tensor(b + "ffn_norm.weight", quant::TensorType::F32, {s.n_embd}, ones(s.n_embd));
    if (arch == "phi3") {  // gate rows then up rows in one matrix
      add_matrix(b + "ffn_up.weight", s.n_embd, 2 * s.n_ff);
    } else {
      add_matrix(b + "ffn_gate.weight", s.n_embd, s.n_ff);
      add_matrix(b + "ffn_up.weight", s.n_embd, s.n_ff);
    }
    add_matrix(b + "ffn_down.weight", s.n_ff, s.n_embd);
    if (gemma) add_gains(b + "post_ffw_norm.weight", s.n_embd);
  }
  w.write(out_path);
  std::printf("wrote %s: %s, %lld layers, n_embd %lld, n_ff %lld, heads %lld/%lld, vocab %lld, type %s\n",
              out_path.c_str(), arch.c_str(), static_cast<long long>(s.n_layer), static_cast<long long>(s.n_embd),
              static_cast<long long>(s.n_ff), static_cast<long long>(s.n_head), static_cast<long long>(s.n_head_kv),
              static_cast<long long>(n_vocab), type_name.c_str());
  return 0;
}

}  // namespace pagoda::cli
