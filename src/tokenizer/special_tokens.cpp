#include "tokenizer/special_tokens.h"

#include <algorithm>

namespace pagoda::tokenizer {
namespace {

// C's isspace in the "C" locale, which is what llama.cpp strips with.
bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

}  // namespace

SpecialTokenSplitter::SpecialTokenSplitter(const Vocab& vocab) {
  for (TokenId id = 0; id < vocab.size(); ++id) {
    const TokenKind k = vocab.kind(id);
    if ((k == TokenKind::Control || k == TokenKind::UserDefined || k == TokenKind::Unknown) &&
        !vocab.tokens[static_cast<size_t>(id)].empty()) {
      tokens_.push_back(id);
    }
  }
  // Longest first, so "<|end|>" cannot be cut out of "<|endoftext|>".
  std::stable_sort(tokens_.begin(), tokens_.end(), [&vocab](TokenId a, TokenId b) {
    return vocab.tokens[static_cast<size_t>(a)].size() > vocab.tokens[static_cast<size_t>(b)].size();
  });
}

std::vector<Fragment> SpecialTokenSplitter::split(const Vocab& vocab_, std::string_view text, bool parse_special) const {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({-1, 0, text.size()});
  std::vector<Fragment> next;
  for (TokenId id : tokens_) {
    // User-defined tokens are split out even as plain text, as Hugging Face
    // tokenizers (and llama.cpp) do; control tokens need parse_special.
    if (!parse_special && vocab_.kind(id) != TokenKind::UserDefined) continue;
    const std::string& piece = vocab_.tokens[static_cast<size_t>(id)];
    if (text.find(piece) == std::string_view::npos) continue;
    const uint8_t strip = vocab_.strip_flags(id);
    next.clear();
    for (const Fragment& f : fragments) {
      if (f.token >= 0) {
        next.push_back(f);
        continue;
      }
      size_t begin = f.begin;
      const size_t end = f.begin + f.length;
      for (;;) {
        const size_t match = text.substr(0, end).find(piece, begin);
        if (match == std::string_view::npos) break;
        size_t left_end = match;
        if (strip & kStripLeft) {
          while (left_end > begin && is_space(text[left_end - 1])) --left_end;
        }
        if (left_end > begin) next.push_back({-1, begin, left_end - begin});
        next.push_back({id, match, piece.size()});
        begin = match + piece.size();
        if (strip & kStripRight) {
          while (begin < end && is_space(text[begin])) ++begin;
        }
      }
      if (begin < end) next.push_back({-1, begin, end - begin});
    }
    fragments.swap(next);
  }
  return fragments;
}

}  // namespace pagoda::tokenizer
