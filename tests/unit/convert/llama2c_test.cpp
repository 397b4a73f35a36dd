// llama2.c import: stories260K (a llama2.c model to begin with) written back
// out in llama2.c's checkpoint and tokenizer formats, then converted: the
// result computes the same logits and tokenizes the same as the original.
#include "convert/llama2c.h"

#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "gguf/file.h"
#include "model/model.h"
#include "model/single_sequence.h"
#include "shared_data.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace pagoda::convert {
namespace {

namespace fs = std::filesystem;

void put_floats(std::ofstream& out, const gguf::TensorInfo* t) {
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->type, quant::TensorType::F32);
  out.write(reinterpret_cast<const char*>(t->data), static_cast<std::streamsize>(t->nbytes));
}

template <typename T>
void put(std::ofstream& out, T v) {
  out.write(reinterpret_cast<const char*>(&v), sizeof v);
}

// Writes model.bin and tokenizer.bin from the llama-architecture GGUF.
void write_llama2c(const gguf::File& g, const fs::path& model, const fs::path& tok) {
  const int32_t dim = static_cast<int32_t>(*g.get_int("llama.embedding_length"));
  const int32_t hidden = static_cast<int32_t>(*g.get_int("llama.feed_forward_length"));
  const int32_t layers = static_cast<int32_t>(*g.get_int("llama.block_count"));
  const int32_t heads = static_cast<int32_t>(*g.get_int("llama.attention.head_count"));
  const int32_t kv_heads = static_cast<int32_t>(*g.get_int("llama.attention.head_count_kv"));
  const gguf::Array* tokens = g.get_array("tokenizer.ggml.tokens");
  const gguf::Array* scores = g.get_array("tokenizer.ggml.scores");
  const auto vocab = static_cast<int32_t>(tokens->items.size());
  const int32_t seq_len = 512;
  std::ofstream out(model, std::ios::binary);
  for (int32_t v : {dim, hidden, layers, heads, kv_heads, vocab, seq_len}) put(out, v);
  put_floats(out, g.tensor("token_embd.weight"));
  const auto per_layer = [&](const char* name) {
    for (int l = 0; l < layers; ++l) put_floats(out, g.tensor("blk." + std::to_string(l) + "." + name));
  };
  for (const char* n : {"attn_norm.weight", "attn_q.weight", "attn_k.weight", "attn_v.weight", "attn_output.weight",
                        "ffn_norm.weight", "ffn_gate.weight", "ffn_down.weight", "ffn_up.weight"}) {
    per_layer(n);
  }
  put_floats(out, g.tensor("output_norm.weight"));
  const std::vector<float> rope_tables(static_cast<size_t>(seq_len) * (dim / heads), 0.0f);
  out.write(reinterpret_cast<const char*>(rope_tables.data()), static_cast<std::streamsize>(rope_tables.size() * 4));

  std::ofstream t(tok, std::ios::binary);
  put(t, int32_t{64});
  for (int32_t i = 0; i < vocab; ++i) {
    std::string s = tokens->items[static_cast<size_t>(i)].as_string();
    if (i == 1) s = "\n<s>\n";
    if (i == 2) s = "\n</s>\n";
    std::string plain;
    for (size_t k = 0; k < s.size(); ++k) {
      if (s.compare(k, 3, "\xE2\x96\x81") == 0) {
        plain += ' ';
        k += 2;
      } else {
        plain += s[k];
      }
    }
    put(t, static_cast<float>(scores->items[static_cast<size_t>(i)].as_float()));
    put(t, static_cast<int32_t>(plain.size()));
    t.write(plain.data(), static_cast<std::streamsize>(plain.size()));
  }
}

std::vector<float> logits_of(const std::string& path, const std::vector<int32_t>& tokens) {
  auto m = model::Model::load(path);
  model::SingleSequence seq(*m, 64, kv::KvType::F32);
  ThreadPool pool(1);
  std::vector<float> logits;
  seq.forward(tokens, false, pool, logits);
  return logits;
}

TEST(Llama2c, Stories260KRoundTrip) {
  PAGODA_REQUIRE_SHARED(stories, "models/stories260K.gguf");
  const fs::path dir = testing::test_temp_dir();
  const gguf::File g = gguf::File::open(stories.string());
  write_llama2c(g, dir / "model.bin", dir / "tokenizer.bin");
  ThreadPool pool(1);
  gguf::Writer w;
  const Llama2cSummary s = convert_llama2c((dir / "model.bin").string(), (dir / "tokenizer.bin").string(),
                                           quant::TensorType::F32, "stories", w, pool);
  EXPECT_EQ(s.n_layer, 5);
  EXPECT_TRUE(s.shared_classifier);
  const std::string out = (dir / "out.gguf").string();
  w.write(out);

  const gguf::File converted = gguf::File::open(out);
  const auto tok_a = tokenizer::make_tokenizer(tokenizer::load_vocab(g));
  const auto tok_b = tokenizer::make_tokenizer(tokenizer::load_vocab(converted));
  const std::string text = "Once upon a time, Lily saw a big dog. \"Hello!\" she said.\n";
  const std::vector<int32_t> ids = tok_a->encode(text, true, false);
  EXPECT_EQ(tok_b->encode(text, true, false), ids);
  EXPECT_EQ(logits_of(out, ids), logits_of(stories.string(), ids));
}

TEST(Llama2c, DamagedFilesAreClearErrors) {
  const fs::path dir = testing::test_temp_dir();
  ThreadPool pool(1);
  const auto error = [&](const fs::path& model) -> std::string {
    gguf::Writer w;
    try {
      convert_llama2c(model.string(), (dir / "missing-tokenizer.bin").string(), quant::TensorType::F32, "", w, pool);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  std::ofstream(dir / "tiny.bin", std::ios::binary) << "abc";
  EXPECT_NE(error(dir / "tiny.bin").find("too small"), std::string::npos);
  {
    std::ofstream out(dir / "bad.bin", std::ios::binary);
    for (int32_t v : {64, 172, 5, 7, 4, 512, 512}) out.write(reinterpret_cast<const char*>(&v), 4);  // 64 % 7 != 0
  }
  EXPECT_NE(error(dir / "bad.bin").find("is not a llama2.c checkpoint"), std::string::npos);
}

}  // namespace
}  // namespace pagoda::convert
