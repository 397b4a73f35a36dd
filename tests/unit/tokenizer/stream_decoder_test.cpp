// StreamDecoder: whole UTF-8 characters out, partial ones held back.
#include <gtest/gtest.h>

#include "test_vocab.h"
#include "tokenizer/spm_tokenizer.h"
#include "tokenizer/tokenizer.h"

namespace pagoda::tokenizer {
namespace {

using namespace testing;  // NOLINT: the test vocab helpers

const std::string kMark = "\xe2\x96\x81";
const std::string kFffd = "\xef\xbf\xbd";

class StreamDecoderTest : public ::testing::Test {
 protected:
  StreamDecoderTest() : tok_(make_vocab({{kMark + "Hi", -1}, {"!", -1}})) {}
  SpmTokenizer tok_;
  const TokenId hi_ = kFirstPiece, bang_ = kFirstPiece + 1;
};

TEST_F(StreamDecoderTest, WholeTokensPassStraightThrough) {
  StreamDecoder d(tok_);
  EXPECT_EQ(d.push(hi_), " Hi");  // no prefix stripping: this is a continuation
  EXPECT_EQ(d.push(bang_), "!");
  EXPECT_EQ(d.flush(), "");
}

TEST_F(StreamDecoderTest, EmojiSplitIntoByteTokensComesOutWhole) {
  StreamDecoder d(tok_);
  const std::string emoji = "\xf0\x9f\x98\x80";  // U+1F600
  EXPECT_EQ(d.push(hi_), " Hi");
  EXPECT_EQ(d.push(byte_id(0xF0)), "");
  EXPECT_EQ(d.push(byte_id(0x9F)), "");
  EXPECT_EQ(d.push(byte_id(0x98)), "");
  EXPECT_EQ(d.push(byte_id(0x80)), emoji);
  EXPECT_EQ(d.push(bang_), "!");
  EXPECT_EQ(d.flush(), "");
}

TEST_F(StreamDecoderTest, ControlTokensPrintNothing) {
  StreamDecoder d(tok_);
  EXPECT_EQ(d.push(kBos), "");
  EXPECT_EQ(d.push(kEos), "");
  EXPECT_EQ(d.push(kUnk), "");
  EXPECT_EQ(d.flush(), "");
}

TEST_F(StreamDecoderTest, IncompleteSequenceBecomesReplacementAtFlush) {
  StreamDecoder d(tok_);
  EXPECT_EQ(d.push(byte_id(0xE2)), "");
  EXPECT_EQ(d.push(byte_id(0x96)), "");
  EXPECT_EQ(d.flush(), kFffd);  // one U+FFFD for the cut-off character
  EXPECT_EQ(d.flush(), "");
}

TEST_F(StreamDecoderTest, InvalidBytesBecomeReplacementWithoutWaiting) {
  StreamDecoder d(tok_);
  EXPECT_EQ(d.push(byte_id(0xFF)), kFffd);            // can never start a character
  EXPECT_EQ(d.push(byte_id(0x80)), kFffd);            // stray continuation byte
  EXPECT_EQ(d.push(byte_id(0xF0)), "");               // could still complete...
  EXPECT_EQ(d.push(bang_), kFffd + "!");              // ...but did not
  EXPECT_EQ(d.push(byte_id(0xC0)), kFffd);            // overlong lead byte
  EXPECT_EQ(d.push(byte_id(0xED)), "");
  EXPECT_EQ(d.push(byte_id(0xA0)), kFffd + kFffd);    // a UTF-16 surrogate: ED, then A0
  EXPECT_EQ(d.flush(), "");
}

// An independent strict check: decodes code points and rejects overlongs,
// surrogates and values above U+10FFFF.
bool is_valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = cp << 6 | (b & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

TEST_F(StreamDecoderTest, OutputIsAlwaysValidUtf8) {
  // Every pair of non-ASCII bytes, then a third byte from a spread, then "!".
  for (int a = 0x80; a < 0x100; ++a) {
    for (int b = 0x7F; b < 0x100; ++b) {
      for (int c : {0x41, 0x80, 0x9F, 0xA0, 0xBF, 0xE0, 0xF0}) {
        StreamDecoder d(tok_);
        std::string out;
        for (int x : {a, b, c}) {
          const std::string part = d.push(byte_id(static_cast<unsigned char>(x)));
          ASSERT_TRUE(is_valid_utf8(part)) << std::hex << a << " " << b << " " << c;
          out += part;
        }
        out += d.push(bang_);
        out += d.flush();
        ASSERT_TRUE(is_valid_utf8(out)) << std::hex << a << " " << b << " " << c;
        ASSERT_EQ(out.back(), '!');
      }
    }
  }
}

}  // namespace
}  // namespace pagoda::tokenizer
