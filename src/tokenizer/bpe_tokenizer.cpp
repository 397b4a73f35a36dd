#include "tokenizer/bpe_tokenizer.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <climits>

#include "core/error.h"
#include "tokenizer/normalize.h"
#include "tokenizer/pre_tokenizers.h"
#include "tokenizer/utf8.h"

namespace pagoda::tokenizer {
namespace {

// GPT-2's byte -> code point table: printable Latin-1 bytes map to
// themselves, the other 68 to U+0100.. in byte order.
uint32_t byte_code_point(int b, int& next_extra) {
  const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  return printable ? static_cast<uint32_t>(b) : 256u + static_cast<uint32_t>(next_extra++);
}

}  // namespace

struct BpeTokenizer::Regex {
  pcre2_code* code = nullptr;
  pcre2_match_data* match = nullptr;
  ~Regex() {
    pcre2_match_data_free(match);
    pcre2_code_free(code);
  }
};

std::vector<std::string> BpeTokenizer::known_pre_tokenizers() {
  std::vector<std::string> out;
  for (const auto& p : pre_tokenizers()) out.emplace_back(p.name);
  return out;
}

BpeTokenizer::BpeTokenizer(Vocab vocab) : Tokenizer(std::move(vocab)) {
  const std::string pre = vocab_.pre.empty() ? "default" : vocab_.pre;
  const PreTokenizer* chosen = nullptr;
  for (const auto& p : pre_tokenizers()) {
    if (pre == p.name) chosen = &p;
  }
  if (chosen == nullptr) {
    std::string known;
    for (const auto& n : known_pre_tokenizers()) known += " " + n;
    fail("byte-level BPE pre-tokenizer '", pre, "' (tokenizer.ggml.pre) is not supported; known:", known);
  }
  ignore_merges_ = chosen->ignore_merges;
  for (const char* pattern : chosen->regexes) {
    auto r = std::make_unique<Regex>();
    int err = 0;
    PCRE2_SIZE offset = 0;
    r->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern), PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP,
                            &err, &offset, nullptr);
    if (r->code == nullptr) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      fail("pre-tokenizer '", pre, "': regex error at ", offset, ": ", reinterpret_cast<const char*>(msg));
    }
    pcre2_jit_compile(r->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter when JIT is unavailable
    r->match = pcre2_match_data_create_from_pattern(r->code, nullptr);
    regexes_.push_back(std::move(r));
  }

  for (size_t i = 0; i < vocab_.merges.size(); ++i) {
    ranks_.emplace(vocab_.merges[i], static_cast<int32_t>(i));
  }
  int extra = 0;
  for (int b = 0; b < 256; ++b) {
    const uint32_t cp = byte_code_point(b, extra);
    append_utf8(cp, byte_to_char_[b]);
    char_to_byte_[cp] = static_cast<uint8_t>(b);
  }
}

BpeTokenizer::~BpeTokenizer() = default;

void BpeTokenizer::pre_tokenize(std::string_view text, std::vector<std::string_view>& words) const {
  words.assign(1, text);
  std::vector<std::string_view> next;
  for (const auto& r : regexes_) {
    next.clear();
    for (std::string_view piece : words) {
      size_t pos = 0, gap = 0;
      while (pos <= piece.size()) {
        const int rc = pcre2_match(r->code, reinterpret_cast<PCRE2_SPTR>(piece.data()), piece.size(), pos,
                                   pos > 0 ? PCRE2_NO_UTF_CHECK : 0, r->match, nullptr);
        if (rc < 0) break;  // no more matches (or invalid UTF-8 at the start: the rest is one piece)
        const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(r->match);
        const size_t begin = ov[0], end = ov[1];
        if (end == begin) {  // an empty match: step over one character
          pos = begin + std::max<size_t>(1, utf8_char_length(static_cast<unsigned char>(piece[std::min(begin, piece.size() - 1)])));
          if (begin >= piece.size()) break;
          continue;
        }
        if (begin > gap) next.push_back(piece.substr(gap, begin - gap));
        next.push_back(piece.substr(begin, end - begin));
        gap = pos = end;
      }
      if (gap < piece.size()) next.push_back(piece.substr(gap));
    }
    words.swap(next);
  }
}

void BpeTokenizer::encode_fragment(std::string_view text, bool /*after_special*/, std::vector<TokenId>& out) const {
  std::string normalized;
  if (vocab_.normalize_nfc) text = normalized = to_nfc(text);
  std::vector<std::string_view> words;
  pre_tokenize(text, words);
  for (std::string_view w : words) encode_word(w, out);
}

void BpeTokenizer::encode_word(std::string_view word, std::vector<TokenId>& out) const {
  if (word.empty()) return;
  // Bytes -> stand-in characters, one symbol per byte.
  std::vector<std::string> symbols;
  symbols.reserve(word.size());
  std::string mapped;
  for (unsigned char c : word) {
    symbols.push_back(byte_to_char_[c]);
    mapped += byte_to_char_[c];
  }
  if (ignore_merges_) {
    const TokenId whole = vocab_.find(mapped);
    if (whole >= 0) {
      out.push_back(whole);
      return;
    }
  }
  // Repeatedly merge the adjacent pair of lowest rank (leftmost on ties).
  // Words are short, so a scan per merge is cheaper than a heap here.
  std::string key;
  while (symbols.size() > 1) {
    int32_t best_rank = INT32_MAX;
    size_t best = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      key.assign(symbols[i]).append(" ").append(symbols[i + 1]);
      const auto it = ranks_.find(key);
      if (it != ranks_.end() && it->second < best_rank) {
        best_rank = it->second;
        best = i;
      }
    }
    if (best_rank == INT32_MAX) break;
    symbols[best] += symbols[best + 1];
    symbols.erase(symbols.begin() + static_cast<std::ptrdiff_t>(best) + 1);
  }
  for (const std::string& s : symbols) {
    const TokenId id = vocab_.find(s);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    // A symbol the vocabulary lacks (a broken merge list): its characters
    // one by one, unknown ones as unk.
    size_t i = 0;
    while (i < s.size()) {
      const size_t n = std::max<size_t>(1, utf8_char_length(static_cast<unsigned char>(s[i])));
      const TokenId c = vocab_.find(s.substr(i, n));
      if (c >= 0) out.push_back(c);
      else if (vocab_.unk >= 0) out.push_back(vocab_.unk);
      i += n;
    }
  }
}

std::string BpeTokenizer::token_to_piece(TokenId id, bool render_special) const {
  if (!vocab_.contains(id)) return "";
  const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
  const TokenKind k = vocab_.kind(id);
  if (k == TokenKind::Control || k == TokenKind::Unknown) return render_special ? text : "";
  if (k == TokenKind::UserDefined) return text;  // added tokens are stored as plain text
  std::string out;
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    const size_t n = decode_utf8(text, i, cp);
    const auto it = char_to_byte_.find(cp);
    if (it != char_to_byte_.end()) out.push_back(static_cast<char>(it->second));
    else out.append(text, i, n);  // not a stand-in character: keep its bytes
    i += n;
  }
  return out;
}

}  // namespace pagoda::tokenizer
