#pragma once
// A tokenizer vocabulary as GGUF stores it (tokenizer.ggml.* keys).
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace pagoda::gguf {
class File;
}

namespace pagoda::tokenizer {

using TokenId = int32_t;

// tokenizer.ggml.token_type values.
enum class TokenKind : int32_t {
  Undefined = 0, Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6,
};

// Whitespace dropped next to a special token when it is split out of the
// text (llama.cpp's LSTRIP/RSTRIP token attributes). GGUF does not store
// these; the ecosystem sets them by model name (phi-3), and so does load_vocab.
enum StripFlags : uint8_t { kStripNone = 0, kStripLeft = 1, kStripRight = 2 };

// Lets `Vocab::index` be searched with a string_view, so the tokenizer's
// inner loop looks pieces up without building a std::string each time.
struct PieceHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct Vocab {
  std::string model;                 // tokenizer.ggml.model: "llama" (SPM), "gpt2" (BPE), ...
  std::string pre;                   // tokenizer.ggml.pre, may be empty
  std::vector<std::string> tokens;   // piece text; SPM uses U+2581 for space
  std::vector<float> scores;         // empty or one per token
  std::vector<TokenKind> kinds;      // one per token (Normal when the file has none)
  std::vector<std::string> merges;   // BPE merges "a b", rank = index
  TokenId bos = -1, eos = -1, unk = -1, pad = -1, eot = -1;
  bool add_bos = false;
  bool add_eos = false;
  bool add_space_prefix = true;
  bool normalize_nfc = false;
  // WordPiece (BERT) normalizer: tokenizer.ggml.normalizer.lowercase and
  // .strip_accents (both default true, as llama.cpp reads them).
  bool lowercase = true;
  bool strip_accents = true;        // pagoda.tokenizer.normalizer == "NFC": text is NFC'd before pre-tokenizing
  std::string chat_template;         // tokenizer.chat_template, may be empty
  std::vector<uint8_t> strip;        // empty or one StripFlags per token

  // piece -> id (first id wins; empty pieces are not indexed). Call
  // build_index() again after editing `tokens`.
  std::unordered_map<std::string, TokenId, PieceHash, std::equal_to<>> index;

  TokenId size() const { return static_cast<TokenId>(tokens.size()); }
  TokenKind kind(TokenId id) const { return kinds[static_cast<size_t>(id)]; }
  float score(TokenId id) const { return scores.empty() ? 0.0f : scores[static_cast<size_t>(id)]; }
  uint8_t strip_flags(TokenId id) const { return strip.empty() ? uint8_t{kStripNone} : strip[static_cast<size_t>(id)]; }
  bool contains(TokenId id) const { return id >= 0 && id < size(); }
  TokenId find(std::string_view piece) const;  // -1 when absent
  bool is_control(TokenId id) const;   // Control or Unknown: never printed as text
  bool is_end_of_generation(TokenId id) const;  // eos or eot
  void build_index();
  // pagoda::Error when the per-token arrays disagree in length or a special
  // id is out of range (for Vocabs built by hand; load_vocab checks too).
  void validate() const;
};

// Reads and validates the tokenizer keys; pagoda::Error names a missing or
// inconsistent key (scores/token_type length != tokens length, ids out of range).
//
// Defaults follow llama.cpp: for model "llama" (SPM) bos/eos/unk default to
// 1/2/0 and add_bos_token and add_space_prefix to true when the keys are
// absent. An id stored as -1 or 0xFFFFFFFF means "none". When
// tokenizer.ggml.eot_token_id is absent, the end-of-turn token is found by
// its text (<|eot_id|>, <|im_end|>, <|end|>, <end_of_turn>, ...).
Vocab load_vocab(const gguf::File& file);

}  // namespace pagoda::tokenizer
