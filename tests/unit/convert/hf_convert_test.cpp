#include "convert/hf_to_gguf.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>

#include "core/error.h"
#include "gguf/file.h"
#include "model/model.h"
#include "model/single_sequence.h"
#include "safetensors_builder.h"
#include "shared_data.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace pagoda::convert {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using testing::SafetensorsBuilder;
using testing::write_json;

constexpr int64_t kEmbd = 32, kLayers = 2, kHeads = 4, kKvHeads = 2, kFf = 64, kVocab = 272;
constexpr int64_t kHeadDim = kEmbd / kHeads;

// The test's own empty directory (a previous run's files removed).
fs::path fresh_dir() {
  const fs::path dir = testing::test_temp_dir();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::vector<float> values(size_t n, uint32_t seed) {
  std::vector<float> v(n);
  uint32_t s = seed * 2654435761u + 1;
  for (auto& x : v) {
    s = s * 1664525u + 1013904223u;
    x = (static_cast<float>(s >> 8) / 16777216.0f - 0.5f) * 0.2f;
  }
  return v;
}

// GGUF's interleaved RoPE rows (pair i of a head at rows 2i, 2i+1) to
// Hugging Face's rotate-half rows (pair i at rows i and i + head_dim/2).
std::vector<float> to_rotate_half(const std::vector<float>& gguf, int64_t heads, int64_t cols) {
  std::vector<float> hf(gguf.size());
  for (int64_t h = 0; h < heads; ++h) {
    for (int64_t i = 0; i < kHeadDim / 2; ++i) {
      for (int64_t part = 0; part < 2; ++part) {
        const int64_t g = h * kHeadDim + 2 * i + part, r = h * kHeadDim + part * kHeadDim / 2 + i;
        std::memcpy(&hf[static_cast<size_t>(r * cols)], &gguf[static_cast<size_t>(g * cols)], static_cast<size_t>(cols) * 4);
      }
    }
  }
  return hf;
}

json spm_style_tokenizer() {
  json vocab = json::object();
  vocab["<unk>"] = 0;
  vocab["<s>"] = 1;
  vocab["</s>"] = 2;
  for (int b = 0; b < 256; ++b) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    vocab[buf] = 3 + b;
  }
  const std::vector<std::string> pieces = {"\xE2\x96\x81", "a", "b", "\xE2\x96\x81" "a", "ab", "\xE2\x96\x81" "ab"};
  for (size_t i = 0; i < pieces.size(); ++i) vocab[pieces[i]] = 259 + static_cast<int>(i);
  return {
      {"model", {{"type", "BPE"}, {"byte_fallback", true}, {"unk_token", "<unk>"}, {"vocab", vocab},
                 {"merges", {"\xE2\x96\x81 a", "a b", json::array({"\xE2\x96\x81" "a", "b"})}}}},
      {"added_tokens", {{{"id", 0}, {"content", "<unk>"}, {"special", true}},
                        {{"id", 1}, {"content", "<s>"}, {"special", true}},
                        {{"id", 2}, {"content", "</s>"}, {"special", true}}}},
      {"normalizer", {{"type", "Sequence"}, {"normalizers", {{{"type", "Prepend"}, {"prepend", "\xE2\x96\x81"}}}}}},
  };
}

// Qwen 2's pre-tokenizer regex as tokenizer.json spells it.
const char* const kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

// A byte-level BPE tokenizer.json: the 256 byte stand-ins of GPT-2's table
// (ids 0..255 in byte order), "ab" from the merge "a b" (256), and two added
// tokens (257 special, 258 not); the pre-tokenizer splits with `regex`.
json byte_level_tokenizer(const std::string& regex) {
  json v = json::object();
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    const int cp = printable ? b : 256 + extra++;
    std::string utf8;
    if (cp < 0x80) {
      utf8 = std::string(1, static_cast<char>(cp));
    } else {
      utf8 = {static_cast<char>(0xC0 | (cp >> 6)), static_cast<char>(0x80 | (cp & 0x3F))};
    }
    v[utf8] = b;
  }
  v["ab"] = 256;
  return {{"model", {{"type", "BPE"}, {"vocab", v}, {"merges", {"a b"}}}},
          {"pre_tokenizer", {{"type", "Sequence"},
                             {"pretokenizers", {{{"type", "Split"}, {"pattern", {{"Regex", regex}}}, {"behavior", "Isolated"}},
                                                {{"type", "ByteLevel"}, {"use_regex", false}}}}}},
          {"added_tokens", {{{"id", 257}, {"content", "<|endoftext|>"}, {"special", true}},
                            {{"id", 258}, {"content", "<tool>"}, {"special", false}}}}};
}

struct LlamaFixture {
  std::map<std::string, std::vector<float>> gguf;  // GGUF-layout originals by GGUF name
  fs::path dir;
};

// A tiny Llama checkpoint in Hugging Face layout; returns the GGUF-layout
// originals for comparison. shards == 2 splits the tensors over two files
// with an index.
LlamaFixture write_llama(const fs::path& dir, int shards = 1) {
  fs::create_directories(dir);
  LlamaFixture fx;
  fx.dir = dir;
  std::vector<std::pair<std::string, std::pair<std::vector<int64_t>, std::vector<float>>>> hf;
  uint32_t seed = 1;
  const auto add = [&](const std::string& hf_name, const std::string& gguf_name, std::vector<int64_t> shape,
                       int64_t rope_heads) {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    std::vector<float> v = shape.size() == 1 ? std::vector<float>(n, 1.0f) : values(n, seed++);
    if (shape.size() == 1) v[0] = 0.75f;
    fx.gguf[gguf_name] = v;
    hf.push_back({hf_name, {shape, rope_heads ? to_rotate_half(v, rope_heads, shape[1]) : v}});
  };
  add("model.embed_tokens.weight", "token_embd.weight", {kVocab, kEmbd}, 0);
  add("model.norm.weight", "output_norm.weight", {kEmbd}, 0);
  for (int l = 0; l < kLayers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".", g = "blk." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", g + "attn_norm.weight", {kEmbd}, 0);
    add(p + "self_attn.q_proj.weight", g + "attn_q.weight", {kHeads * kHeadDim, kEmbd}, kHeads);
    add(p + "self_attn.k_proj.weight", g + "attn_k.weight", {kKvHeads * kHeadDim, kEmbd}, kKvHeads);
    add(p + "self_attn.v_proj.weight", g + "attn_v.weight", {kKvHeads * kHeadDim, kEmbd}, 0);
    add(p + "self_attn.o_proj.weight", g + "attn_output.weight", {kEmbd, kHeads * kHeadDim}, 0);
    add(p + "post_attention_layernorm.weight", g + "ffn_norm.weight", {kEmbd}, 0);
    add(p + "mlp.gate_proj.weight", g + "ffn_gate.weight", {kFf, kEmbd}, 0);
    add(p + "mlp.up_proj.weight", g + "ffn_up.weight", {kFf, kEmbd}, 0);
    add(p + "mlp.down_proj.weight", g + "ffn_down.weight", {kEmbd, kFf}, 0);
  }
  std::vector<SafetensorsBuilder> files(static_cast<size_t>(shards));
  json weight_map = json::object();
  for (size_t i = 0; i < hf.size(); ++i) {
    const size_t s = i % files.size();
    files[s].add(hf[i].first, "F32", hf[i].second.first, hf[i].second.second);
    weight_map[hf[i].first] = "model-0000" + std::to_string(s + 1) + "-of-0000" + std::to_string(shards) + ".safetensors";
  }
  if (shards == 1) {
    files[0].write(dir / "model.safetensors");
  } else {
    for (int s = 0; s < shards; ++s) {
      files[static_cast<size_t>(s)].write(dir / ("model-0000" + std::to_string(s + 1) + "-of-0000" + std::to_string(shards) + ".safetensors"));
    }
    write_json(dir / "model.safetensors.index.json", {{"metadata", json::object()}, {"weight_map", weight_map}});
  }
  write_json(dir / "config.json", {{"architectures", {"LlamaForCausalLM"}}, {"model_type", "llama"},
                                    {"hidden_size", kEmbd}, {"num_hidden_layers", kLayers},
                                    {"num_attention_heads", kHeads}, {"num_key_value_heads", kKvHeads},
                                    {"intermediate_size", kFf}, {"vocab_size", kVocab},
                                    {"max_position_embeddings", 128}, {"rms_norm_eps", 1e-5},
                                    {"rope_theta", 10000.0}, {"tie_word_embeddings", true},
                                    {"bos_token_id", 1}, {"eos_token_id", 2}});
  write_json(dir / "tokenizer.json", spm_style_tokenizer());
  write_json(dir / "tokenizer_config.json", {{"bos_token", "<s>"}, {"eos_token", {{"content", "</s>"}}},
                                              {"add_bos_token", true}, {"chat_template", "{{ messages }}"}});
  return fx;
}

std::vector<uint8_t> convert_dir(const fs::path& dir, quant::TensorType type = quant::TensorType::F32) {
  ThreadPool pool(1);
  gguf::Writer w;
  convert_hf(HfCheckpoint::open(dir), {type, "tiny"}, w, pool);
  return w.to_bytes();
}

std::vector<float> tensor_f32(const gguf::File& f, const std::string& name) {
  const gguf::TensorInfo* t = f.tensor(name);
  if (t == nullptr || t->type != quant::TensorType::F32) return {};
  std::vector<float> v(static_cast<size_t>(t->n_elements()));
  std::memcpy(v.data(), t->data, v.size() * 4);
  return v;
}

std::string convert_error(const fs::path& dir) {
  try {
    convert_dir(dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(HfConvert, LlamaTensorsArePermutedBackToGgufLayout) {
  const LlamaFixture fx = write_llama(fresh_dir() / "llama");
  const gguf::File f = gguf::File::parse(convert_dir(fx.dir));
  EXPECT_EQ(f.get_string("general.architecture"), "llama");
  EXPECT_EQ(f.get_int("llama.attention.head_count_kv"), kKvHeads);
  EXPECT_EQ(f.get_int("llama.vocab_size"), kVocab);
  EXPECT_EQ(f.tensors().size(), fx.gguf.size());
  for (const auto& [name, want] : fx.gguf) EXPECT_EQ(tensor_f32(f, name), want) << name;
  EXPECT_EQ(f.tensor("output.weight"), nullptr);  // tied embeddings
}

TEST(HfConvert, SpmStyleTokenizerJson) {
  const LlamaFixture fx = write_llama(fresh_dir() / "llama");
  const gguf::File f = gguf::File::parse(convert_dir(fx.dir));
  EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "llama");
  const gguf::Array* tokens = f.get_array("tokenizer.ggml.tokens");
  const gguf::Array* types = f.get_array("tokenizer.ggml.token_type");
  const gguf::Array* scores = f.get_array("tokenizer.ggml.scores");
  ASSERT_TRUE(tokens && types && scores);
  ASSERT_EQ(tokens->items.size(), static_cast<size_t>(kVocab));  // padded to the embedding rows
  EXPECT_EQ(tokens->items[3].as_string(), "<0x00>");
  EXPECT_EQ(types->items[3].as_int(), 6);    // byte
  EXPECT_EQ(types->items[0].as_int(), 3);    // <unk> is an added special token: control
  EXPECT_EQ(types->items[260].as_int(), 1);  // "a"
  EXPECT_EQ(types->items[271].as_int(), 5);  // padding: unused
  EXPECT_EQ(tokens->items[271].as_string(), "[PAD271]");
  EXPECT_EQ(scores->items[262].as_float(), -1.0);  // "▁a": first merge
  EXPECT_EQ(scores->items[263].as_float(), -2.0);  // "ab"
  EXPECT_EQ(scores->items[264].as_float(), -3.0);  // "▁ab"
  EXPECT_EQ(scores->items[260].as_float(), 0.0);
  EXPECT_EQ(f.get_int("tokenizer.ggml.bos_token_id"), 1);
  EXPECT_EQ(f.get_int("tokenizer.ggml.eos_token_id"), 2);
  EXPECT_EQ(f.get_int("tokenizer.ggml.unknown_token_id"), 0);
  EXPECT_EQ(f.get_bool("tokenizer.ggml.add_bos_token"), true);
  EXPECT_EQ(f.get_bool("tokenizer.ggml.add_space_prefix"), true);
  EXPECT_EQ(f.get_string("tokenizer.chat_template"), "{{ messages }}");
}

TEST(HfConvert, ShardedCheckpointGivesTheSameFile) {
  const fs::path tmp = fresh_dir();
  write_llama(tmp / "one", 1);
  write_llama(tmp / "two", 2);
  EXPECT_EQ(convert_dir(tmp / "one"), convert_dir(tmp / "two"));
}

TEST(HfConvert, ConvertedModelLoadsAndRuns) {
  const LlamaFixture fx = write_llama(fresh_dir() / "llama");
  for (const auto type : {quant::TensorType::F32, quant::TensorType::F16, quant::TensorType::Q8_0}) {
    const auto bytes = convert_dir(fx.dir, type);
    const fs::path out = fx.dir / "out.gguf";
    std::ofstream(out, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    auto model = model::Model::load(out.string());
    model::SingleSequence seq(*model, 32);
    ThreadPool pool(1);
    std::vector<float> logits;
    const std::vector<int32_t> tokens = {1, 262, 264, 260};
    seq.forward(tokens, false, pool, logits);
    ASSERT_EQ(logits.size(), static_cast<size_t>(kVocab));
    for (float x : logits) ASSERT_TRUE(std::isfinite(x));
  }
}

TEST(HfConvert, Qwen2KeepsRotateHalfAndWritesBiasesAndByteLevelTokenizer) {
  const fs::path dir = fresh_dir() / "qwen2";
  fs::create_directories(dir);
  const int64_t vocab = 260;
  SafetensorsBuilder st;
  const auto q = values(static_cast<size_t>(kEmbd * kEmbd), 7);
  st.add("model.embed_tokens.weight", "BF16", {vocab, kEmbd}, values(static_cast<size_t>(vocab * kEmbd), 1));
  st.add("model.norm.weight", "F32", {kEmbd}, std::vector<float>(kEmbd, 1.0f));
  st.add("lm_head.weight", "F16", {vocab, kEmbd}, values(static_cast<size_t>(vocab * kEmbd), 2));
  const std::string p = "model.layers.0.";
  st.add(p + "input_layernorm.weight", "F32", {kEmbd}, std::vector<float>(kEmbd, 1.0f));
  st.add(p + "self_attn.q_proj.weight", "F32", {kEmbd, kEmbd}, q);
  st.add(p + "self_attn.q_proj.bias", "F32", {kEmbd}, values(kEmbd, 8));
  st.add(p + "self_attn.k_proj.weight", "F32", {kKvHeads * kHeadDim, kEmbd}, values(static_cast<size_t>(kKvHeads * kHeadDim * kEmbd), 9));
  st.add(p + "self_attn.k_proj.bias", "F32", {kKvHeads * kHeadDim}, values(kKvHeads * kHeadDim, 10));
  st.add(p + "self_attn.v_proj.weight", "F32", {kKvHeads * kHeadDim, kEmbd}, values(static_cast<size_t>(kKvHeads * kHeadDim * kEmbd), 11));
  st.add(p + "self_attn.v_proj.bias", "F32", {kKvHeads * kHeadDim}, values(kKvHeads * kHeadDim, 12));
  st.add(p + "self_attn.o_proj.weight", "F32", {kEmbd, kEmbd}, values(static_cast<size_t>(kEmbd * kEmbd), 13));
  st.add(p + "post_attention_layernorm.weight", "F32", {kEmbd}, std::vector<float>(kEmbd, 1.0f));
  st.add(p + "mlp.gate_proj.weight", "F32", {kFf, kEmbd}, values(static_cast<size_t>(kFf * kEmbd), 14));
  st.add(p + "mlp.up_proj.weight", "F32", {kFf, kEmbd}, values(static_cast<size_t>(kFf * kEmbd), 15));
  st.add(p + "mlp.down_proj.weight", "F32", {kEmbd, kFf}, values(static_cast<size_t>(kEmbd * kFf), 16));
  st.write(dir / "model.safetensors");
  write_json(dir / "config.json", {{"architectures", {"Qwen2ForCausalLM"}}, {"model_type", "qwen2"},
                                    {"hidden_size", kEmbd}, {"num_hidden_layers", 1}, {"num_attention_heads", kHeads},
                                    {"num_key_value_heads", kKvHeads}, {"intermediate_size", kFf},
                                    {"vocab_size", vocab}, {"rope_theta", 1000000.0}, {"rms_norm_eps", 1e-6},
                                    {"tie_word_embeddings", false}, {"eos_token_id", 257}});
  write_json(dir / "tokenizer.json", byte_level_tokenizer(kQwen2Regex));
  const gguf::File f = gguf::File::parse(convert_dir(dir));
  EXPECT_EQ(f.get_string("general.architecture"), "qwen2");
  EXPECT_NEAR(*f.get_float("qwen2.rope.freq_base"), 1e6, 1.0);
  EXPECT_EQ(tensor_f32(f, "blk.0.attn_q.weight"), q);  // not permuted
  EXPECT_EQ(tensor_f32(f, "blk.0.attn_q.bias"), values(kEmbd, 8));
  EXPECT_NE(f.tensor("blk.0.attn_v.bias"), nullptr);
  EXPECT_NE(f.tensor("output.weight"), nullptr);
  EXPECT_EQ(f.get_string("tokenizer.ggml.model"), "gpt2");
  EXPECT_EQ(f.get_string("tokenizer.ggml.pre"), "qwen2");
  ASSERT_NE(f.get_array("tokenizer.ggml.merges"), nullptr);
  EXPECT_EQ(f.get_array("tokenizer.ggml.merges")->items[0].as_string(), "a b");
  const gguf::Array* types = f.get_array("tokenizer.ggml.token_type");
  EXPECT_EQ(types->items[257].as_int(), 3);
  EXPECT_EQ(types->items[258].as_int(), 4);
  EXPECT_EQ(types->items[259].as_int(), 5);  // padding up to the embedding rows
  EXPECT_EQ(f.get_int("tokenizer.ggml.eos_token_id"), 257);
  EXPECT_EQ(f.get_bool("tokenizer.ggml.add_bos_token"), false);
}

TEST(HfConvert, VocabOnlyFileTokenizesWithTheByteLevelBpe) {
  const fs::path dir = fresh_dir();
  write_json(dir / "tokenizer.json", byte_level_tokenizer(kQwen2Regex));
  write_json(dir / "tokenizer_config.json", {{"eos_token", "<|endoftext|>"}});
  gguf::Writer w;
  const TokenizerSummary t = convert_vocab_only(HfCheckpoint::open_tokenizer_only(dir), "tok", w);
  EXPECT_EQ(t.model, "gpt2");
  EXPECT_EQ(t.n_tokens, 259);
  const gguf::File f = gguf::File::parse(w.to_bytes());
  EXPECT_EQ(f.get_string("tokenizer.ggml.pre"), "qwen2");
  const auto tok = tokenizer::make_tokenizer(tokenizer::load_vocab(f));
  // "ab" merges; " a" is one word (optional leading non-letter) of two
  // bytes, the space's stand-in (id 32) and "a" (97); digits go one by one.
  EXPECT_EQ(tok->encode("ab a 12", false, false), (std::vector<tokenizer::TokenId>{256, 32, 97, 32, 49, 50}));
  EXPECT_EQ(tok->encode("x<|endoftext|>", false, true), (std::vector<tokenizer::TokenId>{120, 257}));
  EXPECT_EQ(tok->decode(tok->encode("ab a 12 \xC3\xA9", false, false)), "ab a 12 \xC3\xA9");

  write_json(dir / "tokenizer.json", byte_level_tokenizer("[a-z]+|\\s"));
  gguf::Writer w2;
  try {
    convert_vocab_only(HfCheckpoint::open_tokenizer_only(dir), "tok", w2);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not one Pagoda knows"), std::string::npos) << e.what();
  }
}

TEST(HfConvert, Llama3RopeScalingBecomesRopeFreqs) {
  const LlamaFixture fx = write_llama(fresh_dir() / "llama");
  json config = read_json_file(fx.dir / "config.json");
  // Head size 8: pair frequencies 500000^(-i/4); with an original context of
  // 64 the wavelengths straddle both thresholds (64/4 = 16 and 64/1 = 64).
  config["rope_theta"] = 500000.0;
  config["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}, {"low_freq_factor", 1.0},
                            {"high_freq_factor", 4.0}, {"original_max_position_embeddings", 64}};
  write_json(fx.dir / "config.json", config);
  const gguf::File f = gguf::File::parse(convert_dir(fx.dir));
  const std::vector<float> d = tensor_f32(f, "rope_freqs.weight");
  ASSERT_EQ(d.size(), 4u);
  EXPECT_EQ(d[0], 1.0f);  // wavelength 2*pi: untouched
  EXPECT_EQ(d[3], 8.0f);  // the lowest frequency: slowed by the factor
  for (size_t i = 1; i < d.size(); ++i) EXPECT_GE(d[i], d[i - 1]);
  const fs::path out = fx.dir / "scaled.gguf";
  const auto bytes = convert_dir(fx.dir);
  std::ofstream(out, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  auto model = model::Model::load(out.string());
  ASSERT_NE(model->hparams().rope.freq_factors, nullptr);
  EXPECT_EQ(model->hparams().rope.freq_factors[3], 8.0f);

  config["rope_scaling"] = {{"rope_type", "yarn"}, {"factor", 4.0}};
  write_json(fx.dir / "config.json", config);
  EXPECT_NE(convert_error(fx.dir).find("rope_scaling type 'yarn'"), std::string::npos);
}

TEST(HfConvert, ClearErrors) {
  const fs::path tmp = fresh_dir();
  EXPECT_NE(convert_error(tmp / "nowhere").find("not a directory"), std::string::npos);
  fs::create_directories(tmp / "empty");
  EXPECT_NE(convert_error(tmp / "empty").find("no config.json"), std::string::npos);
  write_json(tmp / "empty" / "config.json", {{"architectures", {"LlamaForCausalLM"}}});
  std::ofstream(tmp / "empty" / "pytorch_model.bin") << "x";
  EXPECT_NE(convert_error(tmp / "empty").find("PyTorch .bin"), std::string::npos);

  const LlamaFixture fx = write_llama(tmp / "llama");
  json config = read_json_file(fx.dir / "config.json");
  config["architectures"] = {"GPTNeoXForCausalLM"};
  write_json(fx.dir / "config.json", config);
  EXPECT_NE(convert_error(fx.dir).find("GPTNeoXForCausalLM"), std::string::npos);

  const LlamaFixture extra = write_llama(tmp / "extra");
  SafetensorsBuilder st;
  st.add("model.layers.0.mlp.mystery.weight", "F32", {2}, {1, 2});
  st.write(extra.dir / "extra.safetensors");
  EXPECT_NE(convert_error(extra.dir).find("mystery"), std::string::npos);

  const LlamaFixture dup = write_llama(tmp / "dup");
  SafetensorsBuilder again;
  again.add("model.norm.weight", "F32", {kEmbd}, std::vector<float>(kEmbd, 1.0f));
  again.write(dup.dir / "zz.safetensors");
  EXPECT_NE(convert_error(dup.dir).find("also in another shard"), std::string::npos);

  const LlamaFixture notok = write_llama(tmp / "notok");
  fs::remove(notok.dir / "tokenizer.json");
  EXPECT_NE(convert_error(notok.dir).find("no tokenizer.json"), std::string::npos);
}

}  // namespace
}  // namespace pagoda::convert
