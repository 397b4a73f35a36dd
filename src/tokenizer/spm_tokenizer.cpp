#include "tokenizer/spm_tokenizer.h"

#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace pagoda::tokenizer {
namespace {


int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The byte a "<0xNN>" piece stands for, or -1.
int parse_byte_piece(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return -1;
  int hi = hex_digit(piece[3]), lo = hex_digit(piece[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

// One character (or merged run of characters) of the text being encoded, in
// a doubly linked list; a symbol merged into its left neighbour has len 0.
struct Symbol {
  int32_t prev, next;
  uint32_t begin, len;
};

// A candidate merge of two adjacent symbols. `len` is their total length when
// it was queued: if either side has changed since, the entry is stale.
struct Bigram {
  float score;
  int32_t left, right;
  uint32_t len;
};

// Max-heap order: higher score first, then the leftmost pair.
struct BigramOrder {
  bool operator()(const Bigram& a, const Bigram& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

}  // namespace

// Buffers reused across the fragments of one encode() call.
struct SpmTokenizer::Scratch {
  std::string text;
  std::vector<Symbol> symbols;
  std::vector<Bigram> heap;
};

SpmTokenizer::SpmTokenizer(Vocab vocab) : Tokenizer(std::move(vocab)) {
  byte_values_.assign(vocab_.tokens.size(), -1);
  for (TokenId id = 0; id < vocab_.size(); ++id) {
    if (vocab_.kind(id) == TokenKind::Byte) {
      byte_values_[static_cast<size_t>(id)] = static_cast<int16_t>(parse_byte_piece(vocab_.tokens[static_cast<size_t>(id)]));
    }
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const char piece[] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    TokenId id = vocab_.find(std::string_view(piece, sizeof piece));
    // Like llama.cpp, a vocab without byte tokens may still hold the raw byte.
    if (id < 0) id = vocab_.find(std::string(1, static_cast<char>(b)));
    byte_tokens_[static_cast<size_t>(b)] = id;
  }
}

// The space prefix goes on the first text fragment and on any that follows
// a special token: SentencePiece would have seen each as a new "sentence".
void SpmTokenizer::encode_fragment(std::string_view text, bool after_special, std::vector<TokenId>& out) const {
  Scratch scratch;
  encode_text(text, vocab_.add_space_prefix && after_special, scratch, out);
}

void SpmTokenizer::encode_text(std::string_view text, bool add_prefix, Scratch& scratch,
                               std::vector<TokenId>& out) const {
  std::string& s = scratch.text;
  s.clear();
  if (add_prefix) s.append(kSpaceMark);
  for (char c : text) {
    if (c == ' ') {
      s.append(kSpaceMark);
    } else {
      s.push_back(c);
    }
  }
  if (s.empty()) return;
  if (s.size() > UINT32_MAX / 2) fail("text to tokenize is too long: ", s.size(), " bytes");

  std::vector<Symbol>& symbols = scratch.symbols;
  symbols.clear();
  for (size_t offset = 0; offset < s.size();) {
    const size_t len = std::min(utf8_char_length(static_cast<uint8_t>(s[offset])), s.size() - offset);
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({index - 1, index + 1, static_cast<uint32_t>(offset), static_cast<uint32_t>(len)});
    offset += len;
  }
  symbols.back().next = -1;

  std::vector<Bigram>& heap = scratch.heap;
  heap.clear();
  // Queues the merge of two adjacent symbols if it forms a vocab piece.
  auto push_pair = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[static_cast<size_t>(left)];
    const uint32_t len = l.len + symbols[static_cast<size_t>(right)].len;
    const TokenId id = vocab_.find(std::string_view(s.data() + l.begin, len));
    if (id < 0) return;
    heap.push_back({vocab_.score(id), left, right, len});
    std::push_heap(heap.begin(), heap.end(), BigramOrder{});
  };
  for (size_t i = 1; i < symbols.size(); ++i) push_pair(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), BigramOrder{});
    const Bigram bigram = heap.back();
    heap.pop_back();
    Symbol& left = symbols[static_cast<size_t>(bigram.left)];
    Symbol& right = symbols[static_cast<size_t>(bigram.right)];
    if (left.len == 0 || right.len == 0 || left.len + right.len != bigram.len) continue;  // stale
    left.len += right.len;
    right.len = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[static_cast<size_t>(right.next)].prev = bigram.left;
    push_pair(left.prev, bigram.left);
    push_pair(bigram.left, left.next);
  }

  // Symbol 0 is never merged away (it is nobody's right neighbour).
  for (int32_t i = 0; i != -1; i = symbols[static_cast<size_t>(i)].next) {
    const Symbol& sym = symbols[static_cast<size_t>(i)];
    const std::string_view piece(s.data() + sym.begin, sym.len);
    const TokenId id = vocab_.find(piece);
    if (id >= 0) {
      out.push_back(id);
    } else {
      append_bytes(piece, out);
    }
  }
}

void SpmTokenizer::append_bytes(std::string_view piece, std::vector<TokenId>& out) const {
  for (char c : piece) {
    if (byte_tokens_[static_cast<uint8_t>(c)] < 0) {
      // No byte fallback: the whole character becomes one unknown token,
      // as in SentencePiece without byte_fallback.
      if (vocab_.unk < 0) {
        fail("cannot encode byte 0x", std::hex, static_cast<int>(static_cast<uint8_t>(c)),
             ": the vocabulary has no byte token for it and no unknown token");
      }
      out.push_back(vocab_.unk);
      return;
    }
  }
  for (char c : piece) out.push_back(byte_tokens_[static_cast<uint8_t>(c)]);
}

std::string SpmTokenizer::token_to_piece(TokenId id, bool render_special) const {
  if (!vocab_.contains(id)) fail("token id ", id, " is out of range [0, ", vocab_.size(), ")");
  const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
  switch (vocab_.kind(id)) {
    case TokenKind::Control:
    case TokenKind::Unknown:
      return render_special ? text : std::string();
    case TokenKind::UserDefined:
      return text;  // verbatim: user-defined pieces do not use the space mark
    case TokenKind::Normal:
      return space_marks_to_spaces(text);
    case TokenKind::Byte: {
      const int16_t byte = byte_values_[static_cast<size_t>(id)];
      return byte >= 0 ? std::string(1, static_cast<char>(byte)) : text;
    }
    case TokenKind::Undefined:
    case TokenKind::Unused:
      break;
  }
  return std::string();  // llama.cpp prints nothing for undefined and unused tokens
}

}  // namespace pagoda::tokenizer
