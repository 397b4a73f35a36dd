#pragma once
// What the tokenizer fuzz targets (tokenizer_fuzz.cpp) check for one input,
// shared with the replay test that runs in every sanitizer build: encoding
// any bytes must not crash or throw, every id must be in the vocabulary,
// decoding must not throw, and valid UTF-8 must come back byte for byte when
// special tokens are not parsed (both encoders are lossless: byte-level BPE
// by construction, SPM through byte fallback; the one exception is
// SentencePiece's space mark U+2581 in the input, which decodes as a space
// in every SentencePiece implementation).
#include <string>
#include <string_view>

#include "tokenizer/tokenizer.h"
#include "tokenizer/utf8.h"

namespace pagoda::testing {

// "" when the input passes, else what went wrong.
inline std::string check_tokenizer_input(const tokenizer::Tokenizer& tok, std::string_view text) {
  const auto n_vocab = static_cast<tokenizer::TokenId>(tok.vocab().size());
  for (const bool parse_special : {false, true}) {
    const auto ids = tok.encode(text, /*add_special=*/parse_special, parse_special);
    for (const auto id : ids) {
      if (id < 0 || id >= n_vocab) return "encode gave id " + std::to_string(id) + " outside the vocabulary";
    }
    const std::string back = tok.decode(ids, /*render_special=*/parse_special);
    if (parse_special) continue;
    std::string valid;
    tokenizer::append_valid_utf8(text, /*at_end=*/true, valid);
    const bool has_space_mark = text.find("\xE2\x96\x81") != std::string_view::npos;
    if (valid == text && !has_space_mark && back != text) return "valid UTF-8 did not round-trip: got " + std::to_string(back.size()) + " bytes";
  }
  return "";
}

}  // namespace pagoda::testing
