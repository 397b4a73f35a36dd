#pragma once
// Unicode normalization of tokenizer input, for the vocabularies whose
// tokenizer.json normalizes before pre-tokenizing (Qwen 2/3: NFC).
#include <string>
#include <string_view>

namespace pagoda::tokenizer {

// The NFC form of UTF-8 text (ICU). Text that is already NFC, ASCII above
// all, comes back unchanged; ill-formed UTF-8 comes back unchanged too (it
// has no normal form, and the byte-level tokenizers encode any bytes).
std::string to_nfc(std::string_view text);

}  // namespace pagoda::tokenizer
