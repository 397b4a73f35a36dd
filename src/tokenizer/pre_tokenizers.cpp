#include "tokenizer/pre_tokenizers.h"

namespace pagoda::tokenizer {
namespace {

// GPT-2's word pattern: contractions, letters, digits, other symbols (each
// with an optional leading space), then whitespace runs.
constexpr const char* kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
// Llama 3's: case-insensitive contractions, letters with one leading
// non-letter, numbers of at most three digits, newlines kept apart.
constexpr const char* kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// Qwen 2's: as Llama 3's with single digits.
constexpr const char* kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

}  // namespace

const std::vector<PreTokenizer>& pre_tokenizers() {
  static const std::vector<PreTokenizer> table = {
      // The first entry with a given regex list is the name a converter
      // writes for it (pre_tokenizer_named_by).
      {"gpt-2", {kGpt2}, false},
      {"default", {kGpt2}, false},
      {"gpt2", {kGpt2}, false},
      {"mpt", {kGpt2}, false},
      {"olmo", {kGpt2}, false},
      {"jais", {kGpt2}, false},
      // Digits one by one, then GPT-2's pattern.
      {"starcoder", {R"(\p{N})", kGpt2}, false},
      {"refact", {R"(\p{N})", kGpt2}, false},
      {"command-r", {R"(\p{N})", kGpt2}, false},
      {"smollm", {R"(\p{N})", kGpt2}, false},
      {"codeshell", {R"(\p{N})", kGpt2}, false},
      // Punctuation runs, GPT-2's pattern, then digit triples.
      {"falcon", {R"([\p{P}\$\+<=>\^~\|`]+)", kGpt2, "[0-9][0-9][0-9]"}, false},
      {"llama-bpe", {kLlama3}, true},
      {"llama3", {kLlama3}, true},
      {"dbrx", {kLlama3}, false},
      {"smaug-bpe", {kLlama3}, false},
      {"qwen2", {kQwen2}, false},
      // DeepSeek V3: digit triples, CJK runs, then words and symbols.
      {"deepseek-v3",
          {"\\p{N}{1,3}",
           "[一-龥぀-ゟ゠-ヿ]+",
           "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"},
          false},
      // o200k (GPT-4o, gpt-oss): case-aware words with contractions.
      {"gpt-4o", {"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, false},
      {"deepseek-coder", {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", "[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", R"(\p{N})"}, false},
  };
  return table;
}

std::optional<std::string> pre_tokenizer_named_by(const std::vector<std::string>& regexes) {
  for (const PreTokenizer& p : pre_tokenizers()) {
    if (p.regexes.size() != regexes.size()) continue;
    bool same = true;
    for (size_t i = 0; i < regexes.size() && same; ++i) same = regexes[i] == p.regexes[i];
    if (same) return std::string(p.name);
  }
  return std::nullopt;
}

}  // namespace pagoda::tokenizer
