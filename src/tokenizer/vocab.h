#pragma once
// A tokenizer vocabulary as GGUF stores it (tokenizer.ggml.* keys).
#include <cstdint>
#include <string>
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
  std::string chat_template;         // tokenizer.chat_template, may be empty

  std::unordered_map<std::string, TokenId> index;  // piece -> id (first id wins)

  TokenId size() const { return static_cast<TokenId>(tokens.size()); }
  TokenKind kind(TokenId id) const { return kinds[static_cast<size_t>(id)]; }
  bool is_control(TokenId id) const;   // Control or Unknown: never printed as text
  bool is_end_of_generation(TokenId id) const;  // eos or eot
  void build_index();
};

// Reads and validates the tokenizer keys; pagoda::Error names a missing or
// inconsistent key (scores/token_type length != tokens length, ids out of range).
Vocab load_vocab(const gguf::File& file);

}  // namespace pagoda::tokenizer
