#include "tokenizer/pre_tokenizers.h"

#include <cstdio>

#include "tokenizer/utf8.h"

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
      // DeepSeek LLM: newlines, Latin/Greek/Cyrillic... letter runs and ASCII
      // or full-width punctuation runs (each with one leading space),
      // trailing whitespace, CJK runs, digit runs.
      {"deepseek-llm",
          {"[\r\n]",
           "\\s?[A-Za-z\\x{B5}\\x{C0}-\\x{D6}\\x{D8}-\\x{F6}\\x{F8}-\\x{1BA}\\x{1BC}-\\x{1BF}\\x{1C4}-\\x{293}\\x{295}-\\x{2AF}\\x{370}-\\x{373}\\x{376}\\x{377}\\x{37B}-\\x{37D}\\x{37F}\\x{386}\\x{388}-\\x{38A}\\x{38C}\\x{38E}-\\x{3A1}\\x{3A3}-\\x{3F5}\\x{3F7}-\\x{481}\\x{48A}-\\x{52F}\\x{531}-\\x{556}\\x{10A0}-\\x{10C5}\\x{13A0}-\\x{13F5}\\x{13F8}-\\x{13FD}\\x{1C90}-\\x{1CBA}\\x{1CBD}-\\x{1CBF}\\x{1D00}-\\x{1D2B}\\x{1D6B}-\\x{1D77}\\x{1D79}-\\x{1D9A}\\x{1E00}-\\x{1F15}\\x{1F18}-\\x{1F1D}\\x{1F20}-\\x{1F45}\\x{1F48}-\\x{1F4D}\\x{1F50}-\\x{1F57}\\x{1F59}\\x{1F5B}\\x{1F5D}\\x{1F5F}-\\x{1F7D}\\x{1F80}-\\x{1FB4}\\x{1FB6}-\\x{1FBC}\\x{1FBE}\\x{1FC2}-\\x{1FC4}\\x{1FC6}-\\x{1FCC}\\x{1FD0}-\\x{1FD3}\\x{1FD6}-\\x{1FDB}\\x{1FE0}-\\x{1FEC}\\x{1FF2}-\\x{1FF4}\\x{1FF6}-\\x{1FFC}\\x{2102}\\x{2107}\\x{210A}-\\x{2113}\\x{2115}\\x{2119}-\\x{211D}\\x{2124}\\x{2126}\\x{2128}\\x{212A}-\\x{212D}\\x{212F}-\\x{2134}\\x{2139}\\x{213C}-\\x{213F}\\x{2145}-\\x{2149}\\x{214E}\\x{2183}\\x{2184}\\x{2C00}-\\x{2C7B}\\x{2C7E}-\\x{2CE4}\\x{2CEB}-\\x{2CEE}\\x{2CF2}\\x{2CF3}\\x{A640}-\\x{A66D}\\x{A680}-\\x{A69B}\\x{A722}-\\x{A76F}\\x{A771}-\\x{A787}\\x{A78B}-\\x{A78E}\\x{AB70}-\\x{ABBF}\\x{FB00}-\\x{FB06}\\x{FB13}-\\x{FB17}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{10400}-\\x{1044F}\\x{104B0}-\\x{104D3}\\x{104D8}-\\x{104FB}\\x{10C80}-\\x{10CB2}\\x{10CC0}-\\x{10CF2}\\x{118A0}-\\x{118DF}\\x{1E900}-\\x{1E943}]+",
           "\\s?[!-/:-~\\x{FF01}-\\x{FF0F}\\x{FF1A}-\\x{FF5E}\\x{2018}-\\x{201F}\\x{3000}-\\x{3002}]+",
           "\\s+$",
           "[\\x{4E00}-\\x{9FA5}\\x{800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+",
           "\\p{N}+"},
          false},
      // Tekken (Mistral Nemo): o200k's case-aware words without the
      // contraction suffixes, single digits.
      {"tekken", {"[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}, false},
      {"deepseek-coder", {"[\r\n]", R"(\s?\p{L}+)", R"(\s?\p{P}+)", "[\\x{4E00}-\\x{9FA5}\\x{0800}-\\x{4E00}\\x{AC00}-\\x{D7FF}]+", R"(\p{N})"}, false},
  };
  return table;
}

namespace {

// Non-ASCII characters as PCRE2 \x{...} escapes, the form of the table's
// long character classes (literal text there would be at the mercy of
// editors that normalize Unicode), so that a tokenizer.json regex written
// with the characters themselves compares equal.
std::string escape_non_ascii(std::string_view regex) {
  std::string out;
  for (size_t i = 0; i < regex.size();) {
    if (static_cast<uint8_t>(regex[i]) < 0x80) {
      out.push_back(regex[i++]);
      continue;
    }
    uint32_t cp = 0;
    i += decode_utf8(regex, i, cp);
    char buf[16];
    std::snprintf(buf, sizeof buf, "\\x{%X}", cp);
    out += buf;
  }
  return out;
}

}  // namespace

std::optional<std::string> pre_tokenizer_named_by(const std::vector<std::string>& regexes) {
  for (const PreTokenizer& p : pre_tokenizers()) {
    if (p.regexes.size() != regexes.size()) continue;
    bool same = true;
    for (size_t i = 0; i < regexes.size() && same; ++i) {
      same = escape_non_ascii(regexes[i]) == escape_non_ascii(p.regexes[i]);
    }
    if (same) return std::string(p.name);
  }
  return std::nullopt;
}

}  // namespace pagoda::tokenizer
