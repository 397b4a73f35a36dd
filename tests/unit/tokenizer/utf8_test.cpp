#include "tokenizer/utf8.h"

#include <gtest/gtest.h>

namespace pagoda::tokenizer {
namespace {

const std::string kFffd = "\xef\xbf\xbd";

std::string clean(std::string_view bytes, bool at_end, size_t* used = nullptr) {
  std::string out;
  const size_t n = append_valid_utf8(bytes, at_end, out);
  if (used) *used = n;
  return out;
}

TEST(Utf8, CharLengthFollowsTheLeadByteNibble) {
  EXPECT_EQ(utf8_char_length('a'), 1u);
  EXPECT_EQ(utf8_char_length(0x80), 1u);
  EXPECT_EQ(utf8_char_length(0xC3), 2u);
  EXPECT_EQ(utf8_char_length(0xE2), 3u);
  EXPECT_EQ(utf8_char_length(0xF0), 4u);
  EXPECT_EQ(utf8_char_length(0xFF), 4u);
}

TEST(Utf8, ValidTextIsUnchanged) {
  const std::string text = "a\xc3\xa9\xe2\x96\x81\xf0\x9f\xa6\x99\xf4\x8f\xbf\xbf";
  size_t used = 0;
  EXPECT_EQ(clean(text, false, &used), text);
  EXPECT_EQ(used, text.size());
}

TEST(Utf8, HoldsBackATrailingPartialCharacter) {
  size_t used = 0;
  EXPECT_EQ(clean("ab\xf0\x9f\xa6", false, &used), "ab");
  EXPECT_EQ(used, 2u);
  EXPECT_EQ(clean("ab\xf0\x9f\xa6", true, &used), "ab" + kFffd);
  EXPECT_EQ(used, 5u);
}

TEST(Utf8, ReplacesMaximalSubparts) {
  EXPECT_EQ(clean("\x80\xbf", false), kFffd + kFffd);
  EXPECT_EQ(clean("\xc0\xaf", false), kFffd + kFffd);          // overlong
  EXPECT_EQ(clean("\xe0\x80\x80", false), kFffd + kFffd + kFffd);
  EXPECT_EQ(clean("\xed\xa0\x80", false), kFffd + kFffd + kFffd);  // surrogate
  EXPECT_EQ(clean("\xf4\x90\x80\x80", false), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  EXPECT_EQ(clean("\xf0\x9f\x98" "a", false), kFffd + "a");       // cut short by 'a'
  EXPECT_EQ(clean("\xe2\x96" "\xe2\x96\x81", false), kFffd + "\xe2\x96\x81");
}

}  // namespace
}  // namespace pagoda::tokenizer
