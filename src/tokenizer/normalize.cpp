#include "tokenizer/normalize.h"

#include <unicode/normalizer2.h>
#include <unicode/unistr.h>

#include <algorithm>

#include "core/error.h"

namespace pagoda::tokenizer {

std::string to_nfc(std::string_view text) {
  if (std::all_of(text.begin(), text.end(), [](char c) { return static_cast<unsigned char>(c) < 0x80; })) {
    return std::string(text);  // ASCII is its own normal form
  }
  UErrorCode err = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(err);
  if (U_FAILURE(err)) fail("Unicode normalization is unavailable: ", u_errorName(err));
  const icu::UnicodeString in = icu::UnicodeString::fromUTF8(icu::StringPiece(text.data(), static_cast<int32_t>(text.size())));
  std::string check;
  in.toUTF8String(check);
  if (check != text) return std::string(text);  // ill-formed UTF-8: leave the bytes alone
  if (nfc->isNormalized(in, err) && U_SUCCESS(err)) return std::string(text);
  err = U_ZERO_ERROR;
  const icu::UnicodeString out = nfc->normalize(in, err);
  if (U_FAILURE(err)) return std::string(text);
  std::string result;
  out.toUTF8String(result);
  return result;
}

}  // namespace pagoda::tokenizer
