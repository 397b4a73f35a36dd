#pragma once
// Cuts the special tokens out of a text before the model-specific
// tokenizer runs on the rest, as llama.cpp does for every tokenizer type:
// longest token first; user-defined tokens always, control and unknown
// tokens only with parse_special; tokens flagged kStripLeft/kStripRight
// swallow the whitespace next to them.
#include <string_view>
#include <vector>

#include "tokenizer/vocab.h"

namespace pagoda::tokenizer {

struct Fragment {
  TokenId token;  // -1 for raw text
  size_t begin, length;
};

class SpecialTokenSplitter {
 public:
  SpecialTokenSplitter() = default;
  explicit SpecialTokenSplitter(const Vocab& vocab);
  std::vector<Fragment> split(const Vocab& vocab, std::string_view text, bool parse_special) const;

 private:
  std::vector<TokenId> tokens_;  // control/user-defined/unknown, longest first
};

}  // namespace pagoda::tokenizer
