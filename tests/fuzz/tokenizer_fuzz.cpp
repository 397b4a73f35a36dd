// libFuzzer targets for the tokenizers' encoders: fuzz_bpe (byte-level BPE,
// llama.cpp's gpt-2 vocabulary) and fuzz_spm (SentencePiece BPE with byte
// fallback, llama.cpp's llama-spm vocabulary), built from this file with
// PAGODA_FUZZ_VOCAB naming the vocabulary under ../shared/peer-tests
// (PAGODA_SHARED overrides the shared directory). Each input is text; see
// tokenizer_fuzz_check.h for what must hold.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "gguf/file.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"
#include "tokenizer_fuzz_check.h"

namespace {

const pagoda::tokenizer::Tokenizer& tokenizer() {
  static const std::unique_ptr<pagoda::tokenizer::Tokenizer> tok = [] {
    const char* shared = std::getenv("PAGODA_SHARED");
    const std::string path = std::string(shared ? shared : PAGODA_SOURCE_DIR "/../shared") +
                             "/peer-tests/llama.cpp-vocab/" PAGODA_FUZZ_VOCAB;
    const auto file = pagoda::gguf::File::open(path);
    return pagoda::tokenizer::make_tokenizer(pagoda::tokenizer::load_vocab(file));
  }();
  return *tok;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string problem =
      pagoda::testing::check_tokenizer_input(tokenizer(), std::string_view(reinterpret_cast<const char*>(data), size));
  if (!problem.empty()) {
    std::fprintf(stderr, "tokenizer fuzz: %s\n", problem.c_str());
    std::abort();
  }
  return 0;
}
