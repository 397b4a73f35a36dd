#pragma once
// The text side of one sample: incremental UTF-8-safe detokenizing, stop
// strings (matched on the text, never sent) and the hold-back that makes
// that possible: bytes that could be the start of a stop string wait until
// the next token shows whether they are.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/tokenizer.h"

namespace pagoda::engine {

class OutputText {
 public:
  // tokenizer may be null (no detokenizing: no text, no stop strings).
  OutputText(const tokenizer::Tokenizer* tokenizer, const std::vector<std::string>& stops);

  // Adds a token's text. Returns the stop string when one now appears; the
  // text is then cut where it starts.
  std::optional<std::string> append(int32_t token);
  // Text that is safe to send now.
  std::string take_ready();
  // At the end: everything not yet sent (held bytes included).
  std::string take_rest();

 private:
  std::optional<tokenizer::StreamDecoder> decoder_;
  const std::vector<std::string>* stops_;
  size_t longest_stop_ = 0;
  std::string text_;
  size_t sent_ = 0;
  bool stopped_ = false;
};

}  // namespace pagoda::engine
