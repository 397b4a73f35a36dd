// make_tokenizer and the shared decode() rules.
#include "tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.h"
#include "test_vocab.h"
#include "tokenizer/normalize.h"
#include "tokenizer/pre_tokenizers.h"
#include "tokenizer/utf8.h"

namespace pagoda::tokenizer {
namespace {

using namespace testing;  // NOLINT: the test vocab helpers
using Ids = std::vector<TokenId>;

const std::string kMark = "\xe2\x96\x81";

std::string error_of(Vocab v) {
  try {
    make_tokenizer(std::move(v));
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(MakeTokenizer, PicksSpmForLlama) {
  auto tok = make_tokenizer(make_vocab({{"a", -1}}));
  ASSERT_NE(tok, nullptr);
  EXPECT_EQ(tok->vocab().model, "llama");
  EXPECT_EQ(tok->encode("a", true, false), (Ids{kBos, byte_id(0xE2), byte_id(0x96), byte_id(0x81), kFirstPiece}));
}

TEST(MakeTokenizer, NamesUnsupportedModels) {
  Vocab v = make_vocab({});
  v.model = "gpt2";
  v.pre = "no-such-pre";
  EXPECT_NE(error_of(v).find("pre-tokenizer 'no-such-pre'"), std::string::npos) << error_of(v);
  v.model = "rwkv";
  EXPECT_NE(error_of(v).find("'rwkv'"), std::string::npos);
  v.model = "";
  EXPECT_NE(error_of(v).find("tokenizer.ggml.model"), std::string::npos);
}

class DecodeTest : public ::testing::Test {
 protected:
  DecodeTest()
      : tok_(make_tokenizer(make_vocab({{kMark + "Hello", -1}, {kMark + "world", -1}, {kMark, -2}, {"!", -1}}))) {}
  std::unique_ptr<Tokenizer> tok_;
  const TokenId hello_ = kFirstPiece, world_ = hello_ + 1, space_ = hello_ + 2, bang_ = hello_ + 3;
};

TEST_F(DecodeTest, StripsTheSpacePrefixOnce) {
  EXPECT_EQ(tok_->decode(Ids{hello_, world_, bang_}), "Hello world!");
  EXPECT_EQ(tok_->decode(Ids{space_, hello_}), " Hello");
  EXPECT_EQ(tok_->decode(Ids{}), "");
}

TEST_F(DecodeTest, ControlTokensAreSkippedUnlessRendered) {
  EXPECT_EQ(tok_->decode(Ids{kBos, hello_, kEos}), "Hello");
  // Rendered, the BOS is the first piece, so the space after it stays (as in llama.cpp).
  EXPECT_EQ(tok_->decode(Ids{kBos, hello_, kEos}, /*render_special=*/true), "<s> Hello</s>");
}

TEST_F(DecodeTest, RoundTripsEncode) {
  for (const std::string text : {"Hello world!", " Hello", "  Hello  world", "", " ", "\n Hello\n",
                                 "caf\xc3\xa9 \xf0\x9f\xa6\x99"}) {
    EXPECT_EQ(tok_->decode(tok_->encode(text, false, false)), text);
    EXPECT_EQ(tok_->decode(tok_->encode(text, true, false)), text);
  }
}

TEST_F(DecodeTest, ByteTokensConcatenateIntoCharacters) {
  EXPECT_EQ(tok_->decode(Ids{hello_, byte_id(0xC3), byte_id(0xA9)}), "Hello\xc3\xa9");
}

TEST(Decode, KeepsTheSpaceWithoutAddSpacePrefix) {
  Vocab v = make_vocab({{kMark + "a", -1}});
  v.add_space_prefix = false;
  EXPECT_EQ(make_tokenizer(v)->decode(Ids{kFirstPiece}), " a");
}

}  // namespace
}  // namespace pagoda::tokenizer

namespace pagoda::tokenizer {
namespace {

// tokenizer.json spells the long character classes with the characters
// themselves; the table with \x{...} escapes. Both name the same regex.
std::string unescape_code_points(const std::string& regex) {
  std::string out;
  for (size_t i = 0; i < regex.size();) {
    if (regex.compare(i, 3, "\\x{") == 0) {
      const size_t end = regex.find('}', i);
      append_utf8(static_cast<uint32_t>(std::stoul(regex.substr(i + 3, end - i - 3), nullptr, 16)), out);
      i = end + 1;
    } else {
      out.push_back(regex[i++]);
    }
  }
  return out;
}

TEST(PreTokenizers, NamedByTheirTokenizerJsonRegexes) {
  for (const char* name : {"deepseek-llm", "tekken", "llama3", "qwen2", "deepseek-v3", "gpt-4o", "falcon"}) {
    const auto& table = pre_tokenizers();
    const auto it = std::find_if(table.begin(), table.end(), [&](const PreTokenizer& p) { return name == std::string(p.name); });
    ASSERT_NE(it, table.end()) << name;
    std::vector<std::string> as_in_json;
    for (const char* r : it->regexes) as_in_json.push_back(unescape_code_points(r));
    const auto named = pre_tokenizer_named_by(as_in_json);
    ASSERT_TRUE(named.has_value()) << name;
    // Aliases (llama3 = llama-bpe) name the first entry with the same regexes.
    const auto first = std::find_if(table.begin(), table.end(), [&](const PreTokenizer& p) { return p.regexes == it->regexes; });
    EXPECT_EQ(*named, first->name) << name;
  }
  EXPECT_FALSE(pre_tokenizer_named_by({"\\p{L}+|\\s+"}).has_value());
}

}  // namespace
}  // namespace pagoda::tokenizer

namespace pagoda::tokenizer {
namespace {

TEST(Normalize, NfcComposesAndLeavesOtherTextAlone) {
  EXPECT_EQ(to_nfc("e\xCC\x81"), "\xC3\xA9");              // e + combining acute -> é
  EXPECT_EQ(to_nfc("A\xCC\x8A\xCC\x81"), "\xC7\xBA");      // A + ring + acute -> Ǻ
  EXPECT_EQ(to_nfc("plain ascii"), "plain ascii");
  EXPECT_EQ(to_nfc("\xC3\xA9t\xC3\xA9"), "\xC3\xA9t\xC3\xA9");  // already NFC
  EXPECT_EQ(to_nfc("\xFF\xFE" "e\xCC\x81"), "\xFF\xFE" "e\xCC\x81");  // ill-formed: bytes kept
  EXPECT_EQ(to_nfc("\xEF\xAC\x81"), "\xEF\xAC\x81");      // NFC keeps compatibility ligatures (ﬁ)
}

}  // namespace
}  // namespace pagoda::tokenizer
