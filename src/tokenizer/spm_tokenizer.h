#pragma once
// SentencePiece-style tokenizer (tokenizer.ggml.model == "llama"), matching
// llama.cpp's SPM tokenizer token for token:
//
//  1. Special tokens are split out of the text first, longest piece first.
//     User-defined tokens always are; control and unknown tokens only with
//     parse_special. Tokens flagged kStripLeft/kStripRight swallow the
//     whitespace next to them.
//  2. Each remaining text fragment gets a leading space when
//     add_space_prefix and it starts the text or follows a special token,
//     then every ' ' becomes U+2581 "▁".
//  3. The fragment is split into UTF-8 characters and adjacent symbols are
//     merged greedily: always the pair whose concatenation is the
//     highest-scoring vocab piece, the leftmost among equal scores.
//  4. Every merge forms a vocab piece, so each final symbol is a piece or a
//     single character the vocab lacks; the latter becomes its <0xNN> byte
//     tokens (or the one-byte piece, or unk when the vocab has neither).
#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace pagoda::tokenizer {

class SpmTokenizer final : public Tokenizer {
 public:
  // pagoda::Error when the vocab is inconsistent (see Vocab::validate).
  explicit SpmTokenizer(Vocab vocab);
  SpmTokenizer(const SpmTokenizer&) = delete;
  SpmTokenizer& operator=(const SpmTokenizer&) = delete;

  std::string token_to_piece(TokenId id, bool render_special = false) const override;

 private:
  struct Scratch;

  void encode_fragment(std::string_view text, bool after_special, std::vector<TokenId>& out) const override;
  void encode_text(std::string_view text, bool add_prefix, Scratch& scratch, std::vector<TokenId>& out) const;
  void append_bytes(std::string_view piece, std::vector<TokenId>& out) const;

  std::array<TokenId, 256> byte_tokens_;  // -1 where the vocab has no token for the byte
  std::vector<int16_t> byte_values_;      // per token: the byte of a <0xNN> token, else -1
};

}  // namespace pagoda::tokenizer
