#pragma once
// The byte-level BPE pre-tokenizers by their tokenizer.ggml.pre names: the
// regular expressions applied in sequence, and whether whole-word tokens
// bypass the merges (Llama 3).
#include <optional>
#include <string>
#include <vector>

namespace pagoda::tokenizer {

struct PreTokenizer {
  const char* name;
  std::vector<const char*> regexes;
  bool ignore_merges;
};

const std::vector<PreTokenizer>& pre_tokenizers();

// The name of the pre-tokenizer whose regex list is exactly `regexes`
// (as tokenizer.json's Split steps give them), nullopt if none.
std::optional<std::string> pre_tokenizer_named_by(const std::vector<std::string>& regexes);

}  // namespace pagoda::tokenizer
