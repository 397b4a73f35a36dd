#pragma once
// Text <-> token ids. One implementation per tokenizer.ggml.model; make_tokenizer
// picks it from the vocabulary.
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tokenizer/special_tokens.h"
#include "tokenizer/vocab.h"

namespace pagoda::tokenizer {

class Tokenizer {
 public:
  virtual ~Tokenizer() = default;
  // add_special: BOS (and EOS) as the vocab says; parse_special: control and
  // user-defined token texts in `text` become their ids instead of plain text.
  // Special tokens are split out first; each text fragment between them goes
  // to the implementation's encode_fragment.
  std::vector<TokenId> encode(std::string_view text, bool add_special, bool parse_special) const;
  // The raw bytes of one token: SPM's U+2581 becomes a space, <0xNN> byte
  // tokens become that byte, control tokens give "" unless render_special.
  virtual std::string token_to_piece(TokenId id, bool render_special = false) const = 0;
  // The pieces concatenated as raw bytes. With add_space_prefix the first
  // piece that prints anything loses one leading space (the one encode
  // added), so decode(encode(s, add_special, false)) == s for SPM text.
  std::string decode(std::span<const TokenId> ids, bool render_special = false) const;
  const Vocab& vocab() const { return vocab_; }

 protected:
  // Gives every token a kind (Normal where the vocab has none), validates,
  // indexes the pieces and finds the special tokens.
  explicit Tokenizer(Vocab vocab);
  // Appends the ids of one fragment of text without special tokens;
  // after_special: it starts the text or follows a special token.
  virtual void encode_fragment(std::string_view text, bool after_special, std::vector<TokenId>& out) const = 0;

  Vocab vocab_;
  SpecialTokenSplitter specials_;
};

// pagoda::Error for a tokenizer.ggml.model it does not implement, naming it.
std::unique_ptr<Tokenizer> make_tokenizer(Vocab vocab);

// Streams token pieces as text that is always whole UTF-8: bytes of a
// character split across tokens are held back until it completes; bytes
// that can never form a character come out as U+FFFD. Meant for generated
// continuations: control tokens print nothing and no space is stripped.
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& tokenizer) : tokenizer_(tokenizer) {}
  std::string push(TokenId id);  // text that became complete with this token
  std::string flush();           // whatever is held back (invalid bytes become U+FFFD)

 private:
  const Tokenizer& tokenizer_;
  std::string pending_;
};

}  // namespace pagoda::tokenizer
