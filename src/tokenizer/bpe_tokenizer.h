#pragma once
// Byte-level BPE (tokenizer.ggml.model == "gpt2"), as GPT-2 defined it and
// the GGUF ecosystem runs it:
//
//  1. Special tokens are cut out first (special_tokens.h).
//  2. The pre-tokenizer named by tokenizer.ggml.pre splits each text
//     fragment into words with one or more regular expressions applied in
//     sequence (PCRE2 with Unicode properties, JIT-compiled): each regex
//     splits every piece into its matches and the text between them.
//  3. Each word's UTF-8 bytes are mapped to printable characters (GPT-2's
//     byte-to-unicode table: the printable Latin-1 bytes stand for
//     themselves, the others for U+0100 onwards), split into characters,
//     and adjacent symbols are merged by rank (tokenizer.ggml.merges, the
//     lowest rank first, leftmost on ties) until no listed pair remains.
//     With ignore_merges (the Llama 3 pre-tokenizer) a word that is itself
//     a token is taken whole.
//  4. Decoding maps the characters back to bytes.
//
// An unknown pre-tokenizer name is a clear error naming it.
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace pagoda::tokenizer {

class BpeTokenizer final : public Tokenizer {
 public:
  explicit BpeTokenizer(Vocab vocab);
  ~BpeTokenizer() override;
  BpeTokenizer(const BpeTokenizer&) = delete;
  BpeTokenizer& operator=(const BpeTokenizer&) = delete;

  std::string token_to_piece(TokenId id, bool render_special = false) const override;

  // The pre-tokenizer names this implementation knows.
  static std::vector<std::string> known_pre_tokenizers();

 private:
  struct Regex;
  void pre_tokenize(std::string_view text, std::vector<std::string_view>& words) const;
  void encode_fragment(std::string_view text, bool after_special, std::vector<TokenId>& out) const override;
  void encode_word(std::string_view word, std::vector<TokenId>& out) const;

  std::vector<std::unique_ptr<Regex>> regexes_;
  bool ignore_merges_ = false;
  // "left right" -> rank, for the merge loop.
  std::unordered_map<std::string, int32_t, PieceHash, std::equal_to<>> ranks_;
  std::string byte_to_char_[256];                    // UTF-8 of the stand-in character
  std::unordered_map<uint32_t, uint8_t> char_to_byte_;  // code point -> byte
};

}  // namespace pagoda::tokenizer
