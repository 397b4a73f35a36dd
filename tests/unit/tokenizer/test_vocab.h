#pragma once
// A small hand-built SPM vocabulary for unit tests:
//   0 <unk> (unknown), 1 <s>, 2 </s> (control), 3..258 <0x00>..<0xFF> (byte),
//   then the normal pieces passed in, with their scores.
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/vocab.h"

namespace pagoda::tokenizer::testing {

inline constexpr TokenId kUnk = 0, kBos = 1, kEos = 2, kFirstByte = 3, kFirstPiece = 259;

inline TokenId byte_id(unsigned char b) { return kFirstByte + b; }

inline Vocab make_vocab(const std::vector<std::pair<std::string, float>>& pieces, bool byte_tokens = true) {
  Vocab v;
  v.model = "llama";
  auto add = [&v](std::string text, float score, TokenKind kind) {
    v.tokens.push_back(std::move(text));
    v.scores.push_back(score);
    v.kinds.push_back(kind);
  };
  add("<unk>", 0, TokenKind::Unknown);
  add("<s>", 0, TokenKind::Control);
  add("</s>", 0, TokenKind::Control);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    // Without byte tokens the slots stay, as unused pieces, so ids keep their places.
    add(byte_tokens ? name : "[unused" + std::to_string(b) + "]", 0,
        byte_tokens ? TokenKind::Byte : TokenKind::Unused);
  }
  for (const auto& [text, score] : pieces) add(text, score, TokenKind::Normal);
  v.bos = kBos;
  v.eos = kEos;
  v.unk = kUnk;
  v.add_bos = true;
  v.add_space_prefix = true;
  v.build_index();
  return v;
}

// Appends a piece of the given kind and returns its id.
inline TokenId add_token(Vocab& v, std::string text, TokenKind kind, float score = 0) {
  v.tokens.push_back(std::move(text));
  v.scores.push_back(score);
  v.kinds.push_back(kind);
  v.build_index();
  return v.size() - 1;
}

}  // namespace pagoda::tokenizer::testing
