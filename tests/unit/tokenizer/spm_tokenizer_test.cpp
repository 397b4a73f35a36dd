// The SPM tokenizer on small hand-built vocabularies.
#include "tokenizer/spm_tokenizer.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "test_vocab.h"

namespace pagoda::tokenizer {
namespace {

using namespace testing;  // NOLINT: the test vocab helpers
using Ids = std::vector<TokenId>;

const std::string kMark = "\xe2\x96\x81";  // U+2581

// "a" "b" "c" and the merges "ab"/"bc" with the scores given.
Vocab abc_vocab(float ab, float bc) {
  Vocab v = make_vocab({{"a", -5}, {"b", -5}, {"c", -5}, {"ab", ab}, {"bc", bc}});
  v.add_space_prefix = false;
  return v;
}
constexpr TokenId kA = kFirstPiece, kB = kA + 1, kC = kA + 2, kAB = kA + 3, kBC = kA + 4;

TEST(SpmTokenizer, MergesTheHighestScoringPairFirst) {
  EXPECT_EQ(SpmTokenizer(abc_vocab(-1, -2)).encode("abc", false, false), (Ids{kAB, kC}));
  EXPECT_EQ(SpmTokenizer(abc_vocab(-2, -1)).encode("abc", false, false), (Ids{kA, kBC}));
}

TEST(SpmTokenizer, EqualScoresMergeLeftmostFirst) {
  EXPECT_EQ(SpmTokenizer(abc_vocab(-1, -1)).encode("abc", false, false), (Ids{kAB, kC}));
  EXPECT_EQ(SpmTokenizer(abc_vocab(-1, -1)).encode("bcab", false, false), (Ids{kBC, kAB}));
}

TEST(SpmTokenizer, MergedSymbolsKeepMerging) {
  Vocab v = abc_vocab(-3, -1);
  const TokenId abc = add_token(v, "abc", TokenKind::Normal, -10);
  // bc first (higher score), then a+bc forms "abc" even with a low score:
  // any pair that is a piece merges eventually.
  EXPECT_EQ(SpmTokenizer(v).encode("abc", false, false), (Ids{abc}));
  EXPECT_EQ(SpmTokenizer(v).encode("abcab", false, false), (Ids{abc, kAB}));
}

TEST(SpmTokenizer, SpacesBecomeTheSpaceMarkWithAPrefix) {
  Vocab v = make_vocab({{kMark, -1}, {"a", -2}, {kMark + "a", -0.5f}, {kMark + kMark, -3}});
  const TokenId mark = kFirstPiece, a = mark + 1, mark_a = mark + 2, mark_mark = mark + 3;
  SpmTokenizer tok(v);
  EXPECT_EQ(tok.encode("a", false, false), (Ids{mark_a}));
  EXPECT_EQ(tok.encode("a a", false, false), (Ids{mark_a, mark_a}));
  EXPECT_EQ(tok.encode(" a", false, false), (Ids{mark, mark_a}));
  EXPECT_EQ(tok.encode("  ", false, false), (Ids{mark_mark, mark}));
  EXPECT_EQ(tok.encode("", false, false), Ids{});
  v.add_space_prefix = false;
  EXPECT_EQ(SpmTokenizer(v).encode("a", false, false), (Ids{a}));
  EXPECT_EQ(SpmTokenizer(v).encode("a a", false, false), (Ids{a, mark_a}));
}

TEST(SpmTokenizer, AddSpecialAddsBosAndEos) {
  Vocab v = abc_vocab(-1, -2);
  EXPECT_EQ(SpmTokenizer(v).encode("a", true, false), (Ids{kBos, kA}));
  EXPECT_EQ(SpmTokenizer(v).encode("", true, false), (Ids{kBos}));
  v.add_eos = true;
  EXPECT_EQ(SpmTokenizer(v).encode("a", true, false), (Ids{kBos, kA, kEos}));
  v.add_bos = false;
  EXPECT_EQ(SpmTokenizer(v).encode("a", true, false), (Ids{kA, kEos}));
  EXPECT_EQ(SpmTokenizer(v).encode("a", false, false), (Ids{kA}));
}

TEST(SpmTokenizer, UnknownCharactersFallBackToBytes) {
  SpmTokenizer tok(abc_vocab(-1, -2));
  // U+00E9 is C3 A9; the emoji U+1F600 is F0 9F 98 80.
  EXPECT_EQ(tok.encode("a\xc3\xa9" "b", false, false), (Ids{kA, byte_id(0xC3), byte_id(0xA9), kB}));
  EXPECT_EQ(tok.encode("\xf0\x9f\x98\x80", false, false),
            (Ids{byte_id(0xF0), byte_id(0x9F), byte_id(0x98), byte_id(0x80)}));
  // Invalid UTF-8 goes byte by byte too. Like llama.cpp, a character's length
  // comes from its lead byte alone, so 0xFF swallows the next three bytes
  // ("a" and "b" included) into one symbol that is not a piece.
  EXPECT_EQ(tok.encode("\x80" "a", false, false), (Ids{byte_id(0x80), kA}));
  EXPECT_EQ(tok.encode("\xff" "a\x80" "bc", false, false),
            (Ids{byte_id(0xFF), byte_id('a'), byte_id(0x80), byte_id('b'), kC}));
}

TEST(SpmTokenizer, WithoutByteTokensUnknownCharactersBecomeUnk) {
  Vocab v = make_vocab({{"a", -1}}, /*byte_tokens=*/false);
  v.add_space_prefix = false;
  EXPECT_EQ(SpmTokenizer(v).encode("a\xc3\xa9" "a", false, false), (Ids{kFirstPiece, kUnk, kFirstPiece}));
  v.unk = -1;
  EXPECT_THROW(SpmTokenizer(v).encode("\xc3\xa9", false, false), Error);
}

TEST(SpmTokenizer, ControlTokensNeedParseSpecial) {
  Vocab v = make_vocab({{"a", -1}, {"<", -1}, {">", -1}, {"s", -1}, {kMark + "a", -0.5f}});
  const TokenId a = kFirstPiece, lt = a + 1, gt = a + 2, s = a + 3, mark_a = a + 4;
  SpmTokenizer tok(v);
  // The text after a special token gets the space prefix again.
  EXPECT_EQ(tok.encode("a<s>a", false, true), (Ids{mark_a, kBos, mark_a}));
  EXPECT_EQ(tok.encode("<s>a</s>", false, true), (Ids{kBos, mark_a, kEos}));
  EXPECT_EQ(tok.encode("a<s>a", false, false), (Ids{mark_a, lt, s, gt, a}));
  EXPECT_EQ(tok.encode("<unk>", false, true), (Ids{kUnk}));
}

TEST(SpmTokenizer, UserDefinedTokensMatchWithoutParseSpecial) {
  Vocab v = make_vocab({{"a", -1}, {kMark + "a", -0.5f}});
  const TokenId mark_a = kFirstPiece + 1;
  const TokenId user = add_token(v, "<tool>", TokenKind::UserDefined);
  const TokenId longer = add_token(v, "<tool>s", TokenKind::UserDefined);
  SpmTokenizer tok(v);
  EXPECT_EQ(tok.encode("a<tool>a", false, false), (Ids{mark_a, user, mark_a}));
  EXPECT_EQ(tok.encode("<tool><tool>s", false, false), (Ids{user, longer}));  // longest first
}

TEST(SpmTokenizer, StripFlagsEatWhitespaceNextToSpecialTokens) {
  Vocab v = make_vocab({{"a", -1}, {kMark + "a", -0.5f}, {kMark, -2}});
  const TokenId a = kFirstPiece, mark_a = a + 1;
  const TokenId end = add_token(v, "<|end|>", TokenKind::Control);
  v.strip.assign(v.tokens.size(), kStripNone);
  v.strip[static_cast<size_t>(end)] = kStripRight;
  EXPECT_EQ(SpmTokenizer(v).encode("a<|end|>\n a", false, true), (Ids{mark_a, end, mark_a}));
  v.strip[static_cast<size_t>(end)] = kStripLeft;
  EXPECT_EQ(SpmTokenizer(v).encode("a \t<|end|>a", false, true), (Ids{mark_a, end, mark_a}));
  (void)a;
}

TEST(SpmTokenizer, TokenToPiece) {
  Vocab v = make_vocab({{kMark + "a" + kMark, -1}});
  const TokenId user = add_token(v, kMark + "u", TokenKind::UserDefined);
  const TokenId unused = add_token(v, "[unused]", TokenKind::Unused);
  SpmTokenizer tok(v);
  EXPECT_EQ(tok.token_to_piece(kFirstPiece), " a ");
  EXPECT_EQ(tok.token_to_piece(byte_id('\n')), "\n");
  EXPECT_EQ(tok.token_to_piece(byte_id(0xE2)), "\xe2");
  EXPECT_EQ(tok.token_to_piece(user), kMark + "u");  // verbatim
  EXPECT_EQ(tok.token_to_piece(unused), "");
  for (TokenId control : {kUnk, kBos, kEos}) EXPECT_EQ(tok.token_to_piece(control), "");
  EXPECT_EQ(tok.token_to_piece(kBos, /*render_special=*/true), "<s>");
  EXPECT_EQ(tok.token_to_piece(kUnk, true), "<unk>");
  EXPECT_THROW(tok.token_to_piece(-1), Error);
  EXPECT_THROW(tok.token_to_piece(v.size()), Error);
}

TEST(SpmTokenizer, RejectsInconsistentVocab) {
  Vocab v = abc_vocab(-1, -1);
  v.scores.pop_back();
  EXPECT_THROW(SpmTokenizer{v}, Error);
  v = abc_vocab(-1, -1);
  v.bos = v.size();
  EXPECT_THROW(SpmTokenizer{v}, Error);
  v = abc_vocab(-1, -1);
  v.bos = -1;  // add_bos without a BOS token
  EXPECT_THROW(SpmTokenizer{v}, Error);
}

TEST(SpmTokenizer, BuildsTheIndexWhenMissing) {
  Vocab v = abc_vocab(-1, -2);
  v.index.clear();
  v.kinds.clear();  // all Normal
  EXPECT_EQ(SpmTokenizer(v).encode("abc", false, false), (Ids{kAB, kC}));
}

TEST(SpmTokenizer, LongInputIsFast) {
  Vocab v = make_vocab({{kMark, -1}, {"a", -2}, {kMark + "a", -0.5f}, {"aa", -0.7f}, {"aaaa", -0.6f}});
  std::string text;
  for (int i = 0; i < 200000; ++i) text += i % 7 ? "a" : " ";
  const Ids ids = SpmTokenizer(v).encode(text, false, false);
  EXPECT_GT(ids.size(), 30000u);
  EXPECT_EQ(SpmTokenizer(v).decode(ids), text);
}

}  // namespace
}  // namespace pagoda::tokenizer
