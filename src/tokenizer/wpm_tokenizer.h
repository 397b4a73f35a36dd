#pragma once
// WordPiece tokenizer (tokenizer.ggml.model == "bert": BERT-style embedding
// models), matching llama.cpp's WPM tokenizer:
//
//  1. Special tokens are split out first (as for the other tokenizers).
//  2. BERT's normalizer: canonical decomposition and accent (\p{M}) removal
//     when strip_accents, lowercase (simple case mapping) when lowercase;
//     control and format characters vanish; whitespace separates words;
//     punctuation, ASCII symbols and CJK ideographs are words of their own.
//  3. Each word, with the word-start mark U+2581 in front, is cut greedily
//     into the longest vocab pieces from the left; a word with any part the
//     vocab lacks becomes the unknown token as a whole.
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace pagoda::tokenizer {

class WpmTokenizer final : public Tokenizer {
 public:
  explicit WpmTokenizer(Vocab vocab);

  std::string token_to_piece(TokenId id, bool render_special = false) const override;

  // Step 2 alone: the words of `text` (for tests).
  std::vector<std::string> words(std::string_view text) const;

 private:
  void encode_fragment(std::string_view text, bool after_special, std::vector<TokenId>& out) const override;
  void encode_word(const std::string& word, std::vector<TokenId>& out) const;

  size_t max_piece_bytes_ = 0;
};

}  // namespace pagoda::tokenizer
