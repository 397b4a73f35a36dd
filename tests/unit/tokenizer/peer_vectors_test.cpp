// llama.cpp's tokenizer test vectors (tests/test-tokenizer-0) for the SPM
// vocabularies in shared/peer-tests/llama.cpp-vocab: encode with
// add_special=false, parse_special=false must give exactly the stored ids.
#include <gtest/gtest.h>

#include <cctype>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "gguf/file.h"
#include "shared_data.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace pagoda::tokenizer {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Splits X.gguf.inp the way test-tokenizer-0 does: each case ends with the
// separator, and the text after the last one (empty) is not a case.
std::vector<std::string> read_inputs(const std::filesystem::path& path) {
  const std::string raw = read_file(path);
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> cases;
  size_t pos = 0;
  while (pos < raw.size()) {
    size_t next = raw.find(sep, pos);
    if (next == std::string::npos) {
      cases.push_back(raw.substr(pos));
      break;
    }
    cases.push_back(raw.substr(pos, next - pos));
    pos = next + sep.size();
  }
  return cases;
}

std::vector<std::vector<TokenId>> read_outputs(const std::filesystem::path& path) {
  std::vector<std::vector<TokenId>> out;
  std::istringstream lines(read_file(path));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream ids(line);
    std::vector<TokenId> row;
    for (TokenId id; ids >> id;) row.push_back(id);
    out.push_back(std::move(row));
  }
  return out;
}

std::string ids_to_string(const std::vector<TokenId>& ids) {
  std::string s;
  for (TokenId id : ids) s += " " + std::to_string(id);
  return s;
}

class PeerVectors : public ::testing::TestWithParam<const char*> {};

TEST_P(PeerVectors, EncodeMatchesLlamaCpp) {
  const std::string name = GetParam();
  PAGODA_REQUIRE_SHARED(gguf_path, "peer-tests/llama.cpp-vocab/" + name);
  const std::filesystem::path inp = gguf_path.string() + ".inp", outp = gguf_path.string() + ".out";
  ASSERT_TRUE(std::filesystem::exists(inp) && std::filesystem::exists(outp));

  const gguf::File file = gguf::File::open(gguf_path.string());
  const std::unique_ptr<Tokenizer> tok = make_tokenizer(load_vocab(file));
  const std::vector<std::string> inputs = read_inputs(inp);
  const std::vector<std::vector<TokenId>> expected = read_outputs(outp);
  ASSERT_EQ(inputs.size(), 46u);
  ASSERT_EQ(inputs.size(), expected.size());

  size_t passed = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::vector<TokenId> got = tok->encode(inputs[i], /*add_special=*/false, /*parse_special=*/false);
    if (got == expected[i]) {
      ++passed;
    } else {
      ADD_FAILURE() << name << " case " << i << " '" << inputs[i] << "'\n  want:" << ids_to_string(expected[i])
                    << "\n  got: " << ids_to_string(got);
    }
  }
  EXPECT_EQ(passed, inputs.size()) << name;
  std::cout << "[ vectors  ] " << name << ": " << passed << "/" << inputs.size() << " passed\n";
}

// SPM in llama.cpp does no normalization, so every case decodes back to its
// input (the space prefix is stripped again by decode).
TEST_P(PeerVectors, DecodeRoundTrips) {
  const std::string name = GetParam();
  PAGODA_REQUIRE_SHARED(gguf_path, "peer-tests/llama.cpp-vocab/" + name);
  const gguf::File file = gguf::File::open(gguf_path.string());
  const std::unique_ptr<Tokenizer> tok = make_tokenizer(load_vocab(file));
  const std::vector<std::string> inputs = read_inputs(gguf_path.string() + ".inp");
  ASSERT_FALSE(inputs.empty());
  for (const std::string& text : inputs) {
    EXPECT_EQ(tok->decode(tok->encode(text, false, false)), text);
    EXPECT_EQ(tok->decode(tok->encode(text, true, false)), text);
  }
}

std::string vocab_test_name(const ::testing::TestParamInfo<const char*>& info) {
  std::string s = info.param;
  s = s.substr(11, s.size() - 16);  // "ggml-vocab-" ... ".gguf"
  for (char& c : s) {
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return s;
}

INSTANTIATE_TEST_SUITE_P(Spm, PeerVectors, ::testing::Values("ggml-vocab-llama-spm.gguf", "ggml-vocab-phi-3.gguf"),
                         vocab_test_name);
// Byte-level BPE: every vocabulary here that has test vectors (gpt-neox has none).
INSTANTIATE_TEST_SUITE_P(Bpe, PeerVectors,
                         ::testing::Values("ggml-vocab-gpt-2.gguf", "ggml-vocab-mpt.gguf",
                                           "ggml-vocab-starcoder.gguf", "ggml-vocab-refact.gguf",
                                           "ggml-vocab-falcon.gguf", "ggml-vocab-deepseek-coder.gguf",
                                           "ggml-vocab-deepseek-llm.gguf"),
                         vocab_test_name);

// WordPiece (BERT): encode only; its normalizer lowercases and strips
// accents, so text does not come back from the ids.
TEST(PeerVectorsWpm, BertBgeEncodeMatchesLlamaCpp) {
  PAGODA_REQUIRE_SHARED(gguf_path, "peer-tests/llama.cpp-vocab/ggml-vocab-bert-bge.gguf");
  const gguf::File file = gguf::File::open(gguf_path.string());
  const std::unique_ptr<Tokenizer> tok = make_tokenizer(load_vocab(file));
  const std::vector<std::string> inputs = read_inputs(gguf_path.string() + ".inp");
  const std::vector<std::vector<TokenId>> expected = read_outputs(gguf_path.string() + ".out");
  ASSERT_EQ(inputs.size(), 46u);
  ASSERT_EQ(inputs.size(), expected.size());
  size_t passed = 0;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::vector<TokenId> got = tok->encode(inputs[i], false, false);
    if (got == expected[i]) ++passed;
    else ADD_FAILURE() << "case " << i << " '" << inputs[i] << "'\n  want:" << ids_to_string(expected[i]) << "\n  got: " << ids_to_string(got);
  }
  std::cout << "[ vectors  ] bert-bge: " << passed << "/" << inputs.size() << " passed\n";
}

// parse_special on the real vocabularies. Expected ids follow llama.cpp's
// rules: special texts are split out, the text after each gets the space
// prefix, and (phi-3 only, by general.name) whitespace after a special token
// other than <s>, <unk>, <|endoftext|> is dropped.
TEST(PeerVocab, ParseSpecial) {
  PAGODA_REQUIRE_SHARED(spm_path, "peer-tests/llama.cpp-vocab/ggml-vocab-llama-spm.gguf");
  PAGODA_REQUIRE_SHARED(phi3_path, "peer-tests/llama.cpp-vocab/ggml-vocab-phi-3.gguf");
  const auto spm = make_tokenizer(load_vocab(gguf::File::open(spm_path.string())));
  using Ids = std::vector<TokenId>;
  EXPECT_EQ(spm->encode("<s>Hello</s>", false, true), (Ids{1, 15043, 2}));
  EXPECT_EQ(spm->encode("Hello</s>", true, true), (Ids{1, 15043, 2}));
  EXPECT_EQ(spm->encode("Hello world", true, true), (Ids{1, 15043, 3186}));
  // Without parse_special "<s>" is plain text.
  EXPECT_NE(spm->encode("<s>Hello", false, false).front(), 1);

  const auto phi3 = make_tokenizer(load_vocab(gguf::File::open(phi3_path.string())));
  EXPECT_EQ(phi3->vocab().eos, 32000);
  EXPECT_EQ(phi3->vocab().eot, 32007);  // <|end|>, found by its text
  EXPECT_TRUE(phi3->vocab().is_end_of_generation(32007));
  EXPECT_EQ(phi3->encode("<|user|>\nHello<|end|>\n<|assistant|>", true, true),
            (Ids{1, 32010, 15043, 32007, 32001}));
  // "</s>" is user-defined in phi-3, so it is split out even as plain text.
  EXPECT_EQ(phi3->encode("Hello</s>", false, false), (Ids{15043, 2}));
  EXPECT_EQ(phi3->decode(Ids{1, 32010, 15043, 32007}), "Hello");
  EXPECT_EQ(phi3->decode(Ids{1, 32010, 15043, 32007}, true), "<s><|user|> Hello<|end|>");
}

// Baichuan's vocab has no upstream vectors; it must still load and round-trip
// the llama-spm inputs.
TEST(PeerVocab, BaichuanLoadsAndRoundTrips) {
  PAGODA_REQUIRE_SHARED(gguf_path, "peer-tests/llama.cpp-vocab/ggml-vocab-baichuan.gguf");
  PAGODA_REQUIRE_SHARED(inp, "peer-tests/llama.cpp-vocab/ggml-vocab-llama-spm.gguf.inp");
  const gguf::File file = gguf::File::open(gguf_path.string());
  const Vocab vocab = load_vocab(file);
  EXPECT_EQ(vocab.size(), 64000);
  EXPECT_EQ(vocab.model, "llama");
  EXPECT_TRUE(vocab.add_bos);  // key absent: SPM default
  EXPECT_EQ(vocab.bos, 1);
  EXPECT_EQ(vocab.eos, 2);
  const std::unique_ptr<Tokenizer> tok = make_tokenizer(vocab);
  for (const std::string& text : read_inputs(inp)) {
    EXPECT_EQ(tok->decode(tok->encode(text, true, false)), text);
  }
}

}  // namespace
}  // namespace pagoda::tokenizer
