#include "tokenizer/tokenizer.h"

#include "core/error.h"
#include "tokenizer/bpe_tokenizer.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/wpm_tokenizer.h"
#include "tokenizer/utf8.h"

namespace pagoda::tokenizer {

// SPM puts a space in front of the text (add_space_prefix), so the first
// piece that prints anything loses one leading space again: this makes
// decode(encode(s)) == s with or without the BOS token. (llama.cpp strips
// the space only when the first token is not a BOS, so it gives " s" for
// [BOS, ...].) With render_special the BOS prints "<s>" and, as in
// llama.cpp, the space after it stays. The bytes are returned as they are
// (a cut-off multi-byte character stays cut); StreamDecoder cleans them up.
std::string Tokenizer::decode(std::span<const TokenId> ids, bool render_special) const {
  std::string text;
  bool strip_space = vocab_.add_space_prefix;
  for (TokenId id : ids) {
    std::string piece = token_to_piece(id, render_special);
    if (piece.empty()) continue;
    const size_t skip = strip_space && piece.front() == ' ' ? 1 : 0;
    strip_space = false;
    text.append(piece, skip);
  }
  return text;
}

Tokenizer::Tokenizer(Vocab vocab) : vocab_(std::move(vocab)) {
  if (vocab_.kinds.empty()) vocab_.kinds.assign(vocab_.tokens.size(), TokenKind::Normal);
  vocab_.validate();
  if (vocab_.index.empty()) vocab_.build_index();
  specials_ = SpecialTokenSplitter(vocab_);
}

std::vector<TokenId> Tokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 2);
  if (add_special && vocab_.add_bos && vocab_.bos >= 0) out.push_back(vocab_.bos);
  bool after_special = true;  // the first fragment starts the text
  for (const Fragment& f : specials_.split(vocab_, text, parse_special)) {
    if (f.token >= 0) {
      out.push_back(f.token);
      after_special = true;
    } else {
      encode_fragment(text.substr(f.begin, f.length), after_special, out);
      after_special = false;
    }
  }
  if (add_special && vocab_.add_eos && vocab_.eos >= 0) out.push_back(vocab_.eos);
  return out;
}

std::unique_ptr<Tokenizer> make_tokenizer(Vocab vocab) {
  if (vocab.model == "llama") return std::make_unique<SpmTokenizer>(std::move(vocab));
  if (vocab.model == "gpt2") return std::make_unique<BpeTokenizer>(std::move(vocab));
  if (vocab.model == "bert") return std::make_unique<WpmTokenizer>(std::move(vocab));
  if (vocab.model.empty()) fail("the vocabulary names no tokenizer model (tokenizer.ggml.model)");
  fail("tokenizer model '", vocab.model, "' is not supported (supported: 'llama' (SentencePiece), 'gpt2' (byte-level BPE), 'bert' (WordPiece))");
}

// Pieces are appended to `pending_`; what forms whole characters goes out,
// a trailing partial character waits for the next token. Bytes that can
// never become valid go out as U+FFFD at once rather than blocking the stream.
std::string StreamDecoder::push(TokenId id) {
  pending_ += tokenizer_.token_to_piece(id);
  std::string out;
  const size_t used = append_valid_utf8(pending_, /*at_end=*/false, out);
  pending_.erase(0, used);
  return out;
}

std::string StreamDecoder::flush() {
  std::string out;
  append_valid_utf8(pending_, /*at_end=*/true, out);
  pending_.clear();
  return out;
}

}  // namespace pagoda::tokenizer
