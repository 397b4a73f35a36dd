// The tokenizer fuzz targets' check (tests/fuzz/tokenizer_fuzz_check.h) on
// a fixed set of generated inputs, so that every build (the sanitizer build
// included) runs a short, deterministic share of what `fuzz_bpe` and
// `fuzz_spm` run for minutes: random bytes, random valid UTF-8 of every
// length class, and mutations of special-token and whitespace text.
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "../../fuzz/tokenizer_fuzz_check.h"
#include "gguf/file.h"
#include "shared_data.h"
#include "tokenizer/utf8.h"
#include "tokenizer/vocab.h"

namespace pagoda::tokenizer {
namespace {

std::vector<std::string> fuzz_inputs(size_t n) {
  std::mt19937 rng(20261129);
  const std::vector<std::string> seeds = {"<s>", "</s>", "<unk>", "<|endoftext|>", " ", "\n", "\t", "  \n\n ", "'s", "'LL",
                                          "\xE2\x96\x81", "<0x41>", "1234567", "\xF0\x9F\x91\xA8\xE2\x80\x8D"};
  std::vector<std::string> out;
  while (out.size() < n) {
    std::string s;
    const int parts = 1 + static_cast<int>(rng() % 8);
    for (int p = 0; p < parts; ++p) {
      switch (rng() % 3) {
        case 0:  // raw bytes, invalid UTF-8 included
          for (int i = static_cast<int>(rng() % 6); i >= 0; --i) s.push_back(static_cast<char>(rng() % 256));
          break;
        case 1: {  // a valid code point of a random length class
          static const uint32_t kTop[] = {0x7F, 0x7FF, 0xFFFF, 0x10FFFF};
          uint32_t cp = rng() % (kTop[rng() % 4] + 1);
          if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0x41;  // no surrogates
          append_utf8(cp, s);
          break;
        }
        default:
          s += seeds[rng() % seeds.size()];
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

class TokenizerFuzzReplay : public ::testing::TestWithParam<const char*> {};

TEST_P(TokenizerFuzzReplay, GeneratedInputsPassTheFuzzCheck) {
  PAGODA_REQUIRE_SHARED(path, std::string("peer-tests/llama.cpp-vocab/") + GetParam());
  const auto tok = make_tokenizer(load_vocab(gguf::File::open(path.string())));
  for (const std::string& s : fuzz_inputs(3000)) {
    const std::string problem = testing::check_tokenizer_input(*tok, s);
    ASSERT_TRUE(problem.empty()) << problem << " for input " << ::testing::PrintToString(s);
  }
}

INSTANTIATE_TEST_SUITE_P(Vocabs, TokenizerFuzzReplay,
                         ::testing::Values("ggml-vocab-gpt-2.gguf", "ggml-vocab-llama-spm.gguf"),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           return std::string(info.param).find("spm") != std::string::npos ? "spm" : "bpe";
                         });

}  // namespace
}  // namespace pagoda::tokenizer
