// load_vocab on GGUF images built with gguf::Writer.
#include "tokenizer/vocab.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "gguf/file.h"
#include "gguf/writer.h"

namespace pagoda::tokenizer {
namespace {

using gguf::Value;

// A minimal valid SPM vocabulary; tests change or add keys.
gguf::Writer spm_writer() {
  gguf::Writer w;
  w.set("general.architecture", Value::string("llama"));
  w.set("tokenizer.ggml.model", Value::string("llama"));
  w.set("tokenizer.ggml.tokens", Value::string_array({"<unk>", "<s>", "</s>", "<0x0A>", "\xe2\x96\x81hi", "hi"}));
  w.set("tokenizer.ggml.scores", Value::f32_array({0, 0, 0, 0, -1, -2}));
  w.set("tokenizer.ggml.token_type", Value::i32_array({2, 3, 3, 6, 1, 1}));
  return w;
}

Vocab load(const gguf::Writer& w) {
  const std::vector<uint8_t> bytes = w.to_bytes();
  return load_vocab(gguf::File::parse(bytes));
}

std::string load_error(const gguf::Writer& w) {
  try {
    load(w);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(LoadVocab, ReadsTheKeys) {
  gguf::Writer w = spm_writer();
  w.set("tokenizer.ggml.pre", Value::string("default"));
  w.set("tokenizer.ggml.bos_token_id", Value::u32(1));
  w.set("tokenizer.ggml.eos_token_id", Value::u32(2));
  w.set("tokenizer.ggml.unknown_token_id", Value::u32(0));
  w.set("tokenizer.ggml.padding_token_id", Value::u32(0));
  w.set("tokenizer.ggml.eot_token_id", Value::u32(4));
  w.set("tokenizer.ggml.add_bos_token", Value::boolean(false));
  w.set("tokenizer.ggml.add_eos_token", Value::boolean(true));
  w.set("tokenizer.ggml.add_space_prefix", Value::boolean(false));
  w.set("tokenizer.ggml.merges", Value::string_array({"h i"}));
  w.set("tokenizer.chat_template", Value::string("{{ messages }}"));
  const Vocab v = load(w);
  EXPECT_EQ(v.model, "llama");
  EXPECT_EQ(v.pre, "default");
  ASSERT_EQ(v.size(), 6);
  EXPECT_EQ(v.tokens[4], "\xe2\x96\x81hi");
  EXPECT_EQ(v.scores[5], -2.0f);
  EXPECT_EQ(v.kind(0), TokenKind::Unknown);
  EXPECT_EQ(v.kind(3), TokenKind::Byte);
  EXPECT_EQ(v.merges, std::vector<std::string>{"h i"});
  EXPECT_EQ(v.bos, 1);
  EXPECT_EQ(v.eos, 2);
  EXPECT_EQ(v.unk, 0);
  EXPECT_EQ(v.pad, 0);
  EXPECT_EQ(v.eot, 4);
  EXPECT_FALSE(v.add_bos);
  EXPECT_TRUE(v.add_eos);
  EXPECT_FALSE(v.add_space_prefix);
  EXPECT_EQ(v.chat_template, "{{ messages }}");
  EXPECT_EQ(v.find("hi"), 5);
  EXPECT_EQ(v.find("nope"), -1);
  EXPECT_TRUE(v.is_control(0));
  EXPECT_TRUE(v.is_control(1));
  EXPECT_FALSE(v.is_control(4));
  EXPECT_TRUE(v.is_end_of_generation(2));
  EXPECT_TRUE(v.is_end_of_generation(4));
  EXPECT_FALSE(v.is_end_of_generation(-1));
  EXPECT_TRUE(v.strip.empty());
}

TEST(LoadVocab, SpmDefaultsFollowLlamaCpp) {
  const Vocab v = load(spm_writer());
  EXPECT_TRUE(v.add_bos);
  EXPECT_FALSE(v.add_eos);
  EXPECT_TRUE(v.add_space_prefix);
  EXPECT_EQ(v.bos, 1);
  EXPECT_EQ(v.eos, 2);
  EXPECT_EQ(v.unk, 0);
  EXPECT_EQ(v.pad, -1);
  EXPECT_EQ(v.eot, -1);
  EXPECT_TRUE(v.chat_template.empty());
}

TEST(LoadVocab, OtherModelsDefaultToNothing) {
  gguf::Writer w = spm_writer();
  w.set("tokenizer.ggml.model", Value::string("gpt2"));
  const Vocab v = load(w);
  EXPECT_EQ(v.model, "gpt2");
  EXPECT_FALSE(v.add_bos);
  EXPECT_FALSE(v.add_space_prefix);
  EXPECT_EQ(v.bos, -1);
  EXPECT_EQ(v.unk, -1);
}

TEST(LoadVocab, NoTokenTypesMeansNormal) {
  gguf::Writer w;
  w.set("tokenizer.ggml.model", Value::string("llama"));
  w.set("tokenizer.ggml.tokens", Value::string_array({"a", "b", "c"}));
  const Vocab v = load(w);
  EXPECT_EQ(v.kinds, std::vector<TokenKind>(3, TokenKind::Normal));
  EXPECT_TRUE(v.scores.empty());
  EXPECT_EQ(v.score(1), 0.0f);
}

TEST(LoadVocab, NoneIdsMeanAbsent) {
  gguf::Writer w = spm_writer();
  w.set("tokenizer.ggml.padding_token_id", Value::u32(0xFFFFFFFF));
  w.set("tokenizer.ggml.unknown_token_id", Value::i32(-1));
  const Vocab v = load(w);
  EXPECT_EQ(v.pad, -1);
  EXPECT_EQ(v.unk, -1);
}

TEST(LoadVocab, FindsTheEndOfTurnTokenByText) {
  gguf::Writer w = spm_writer();
  w.set("tokenizer.ggml.tokens",
        Value::string_array({"<unk>", "<s>", "<|endoftext|>", "<|end|>", "\xe2\x96\x81hi", "hi"}));
  w.set("tokenizer.ggml.eos_token_id", Value::u32(2));
  const Vocab v = load(w);
  EXPECT_EQ(v.eot, 3);  // <|endoftext|> is already the EOS
  EXPECT_EQ(v.kind(3), TokenKind::Control);
}

TEST(LoadVocab, Phi3SpecialTokensStripWhitespaceAfterThem) {
  gguf::Writer w = spm_writer();
  w.set("general.name", Value::string("Phi3"));
  w.set("tokenizer.ggml.tokens", Value::string_array({"<unk>", "<s>", "</s>", "<|user|>", "\xe2\x96\x81hi", "hi"}));
  w.set("tokenizer.ggml.token_type", Value::i32_array({3, 3, 4, 3, 1, 1}));
  const Vocab v = load(w);
  ASSERT_EQ(v.strip.size(), 6u);
  EXPECT_EQ(v.strip_flags(0), kStripNone);  // <unk>
  EXPECT_EQ(v.strip_flags(1), kStripNone);  // <s>
  EXPECT_EQ(v.strip_flags(2), kStripRight);
  EXPECT_EQ(v.strip_flags(3), kStripRight);
  EXPECT_EQ(v.strip_flags(4), kStripNone);
}

TEST(LoadVocab, ErrorsNameTheKey) {
  struct Case {
    const char* key;
    Value value;
    const char* message;
  };
  const Case cases[] = {
      {"tokenizer.ggml.scores", Value::f32_array({0, 0}), "tokenizer.ggml.scores has 2 entries but tokenizer.ggml.tokens has 6"},
      {"tokenizer.ggml.token_type", Value::i32_array({1}), "tokenizer.ggml.token_type has 1 entries"},
      {"tokenizer.ggml.token_type", Value::i32_array({1, 1, 1, 1, 1, 9}), "tokenizer.ggml.token_type[5] = 9"},
      {"tokenizer.ggml.tokens", Value::i32_array({1, 2}), "tokenizer.ggml.tokens must be an array of strings"},
      {"tokenizer.ggml.tokens", Value::string("x"), "tokenizer.ggml.tokens must be an array of strings"},
      {"tokenizer.ggml.tokens", Value::string_array({}), "tokenizer.ggml.tokens is empty"},
      {"tokenizer.ggml.scores", Value::string_array({"a"}), "tokenizer.ggml.scores must be an array of numbers"},
      {"tokenizer.ggml.bos_token_id", Value::u32(6), "tokenizer.ggml.bos_token_id = 6 is out of range"},
      {"tokenizer.ggml.eot_token_id", Value::i32(-7), "tokenizer.ggml.eot_token_id = -7 is out of range"},
      {"tokenizer.ggml.bos_token_id", Value::i32(-1), "tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id"},
  };
  for (const Case& c : cases) {
    gguf::Writer w = spm_writer();
    w.set(c.key, c.value);
    const std::string error = load_error(w);
    EXPECT_NE(error.find(c.message), std::string::npos) << c.key << ": " << error;
  }
}

TEST(LoadVocab, MissingKeys) {
  gguf::Writer w;
  w.set("tokenizer.ggml.tokens", Value::string_array({"a"}));
  EXPECT_NE(load_error(w).find("missing tokenizer.ggml.model"), std::string::npos);
  gguf::Writer w2;
  w2.set("tokenizer.ggml.model", Value::string("llama"));
  EXPECT_NE(load_error(w2).find("missing tokenizer.ggml.tokens"), std::string::npos);
}

TEST(Vocab, FirstIdWinsAndEmptyPiecesAreNotIndexed) {
  Vocab v;
  v.tokens = {"a", "", "a"};
  v.kinds.assign(3, TokenKind::Normal);
  v.build_index();
  EXPECT_EQ(v.find("a"), 0);
  EXPECT_EQ(v.find(""), -1);
  EXPECT_NO_THROW(v.validate());
  v.eos = 3;
  EXPECT_THROW(v.validate(), Error);
}

}  // namespace
}  // namespace pagoda::tokenizer
