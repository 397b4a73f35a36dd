#include "tokenizer/wpm_tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "core/error.h"
#include "tokenizer/utf8.h"

namespace pagoda::tokenizer {
namespace {

// CJK ideographs, the blocks BERT's tokenizer splits one by one (the
// extension range as Hugging Face's implementation has it).
bool is_cjk_ideograph(UChar32 c) {
  return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0x20000 && c <= 0x2A6DF) ||
         (c >= 0x2A700 && c <= 0x2B73F) || (c >= 0x2B740 && c <= 0x2B81F) || (c >= 0x2B920 && c <= 0x2CEAF) ||
         (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x2F800 && c <= 0x2FA1F);
}

bool in_category(UChar32 c, uint32_t mask) { return (U_GET_GC_MASK(c) & mask) != 0; }

// The code points of UTF-8 text (ill-formed bytes become U+FFFD, which the
// normalizer then drops).
icu::UnicodeString to_unicode(std::string_view text) {
  return icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
}

}  // namespace

WpmTokenizer::WpmTokenizer(Vocab vocab) : Tokenizer(std::move(vocab)) {
  if (vocab_.unk < 0) fail("WordPiece vocabulary without an unknown token (tokenizer.ggml.unknown_token_id)");
  for (const std::string& t : vocab_.tokens) max_piece_bytes_ = std::max(max_piece_bytes_, t.size());
}

std::vector<std::string> WpmTokenizer::words(std::string_view text) const {
  icu::UnicodeString u = to_unicode(text);
  if (vocab_.strip_accents) {
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2* nfd = icu::Normalizer2::getNFDInstance(err);
    if (U_FAILURE(err)) fail("Unicode normalization is unavailable: ", u_errorName(err));
    u = nfd->normalize(u, err);
    if (U_FAILURE(err)) fail("Unicode normalization failed: ", u_errorName(err));
  }
  std::vector<std::string> out(1);
  for (int32_t i = 0; i < u.length(); i = u.moveIndex32(i, 1)) {
    const UChar32 c = u.char32At(i);
    if (u_isUWhiteSpace(c)) {
      if (!out.back().empty()) out.emplace_back();
      continue;
    }
    if (c == 0 || c == 0xFFFD || in_category(c, U_GC_C_MASK)) continue;
    if (vocab_.strip_accents && in_category(c, U_GC_M_MASK)) continue;
    std::string ch;
    append_utf8(static_cast<uint32_t>(vocab_.lowercase ? u_tolower(c) : c), ch);
    if (in_category(c, U_GC_P_MASK) || (c < 0x7F && in_category(c, U_GC_S_MASK)) || is_cjk_ideograph(c)) {
      if (!out.back().empty()) out.emplace_back();
      out.back() = ch;
      out.emplace_back();
    } else {
      out.back() += ch;
    }
  }
  if (out.back().empty()) out.pop_back();
  return out;
}

void WpmTokenizer::encode_word(const std::string& word, std::vector<TokenId>& out) const {
  const std::string w = std::string(kSpaceMark) + word;  // the word-start mark
  const size_t before = out.size();
  for (size_t i = 0; i < w.size();) {
    TokenId found = -1;
    size_t len = std::min(w.size() - i, max_piece_bytes_);
    for (; len > 0; --len) {
      if ((found = vocab_.find(std::string_view(w).substr(i, len))) >= 0) break;
    }
    if (found < 0) {  // a part the vocab lacks: the whole word is unknown
      out.resize(before);
      out.push_back(vocab_.unk);
      return;
    }
    out.push_back(found);
    i += len;
  }
}

void WpmTokenizer::encode_fragment(std::string_view text, bool /*after_special*/, std::vector<TokenId>& out) const {
  for (const std::string& w : words(text)) encode_word(w, out);
}

std::string WpmTokenizer::token_to_piece(TokenId id, bool render_special) const {
  if (!vocab_.contains(id)) fail("token id ", id, " is out of range [0, ", vocab_.size(), ")");
  const std::string& text = vocab_.tokens[static_cast<size_t>(id)];
  if (vocab_.is_control(id)) return render_special ? text : std::string();
  return space_marks_to_spaces(text);
}

}  // namespace pagoda::tokenizer
