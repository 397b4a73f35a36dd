// The vocabulary of the stories260K model: 512 SPM pieces with byte fallback.
#include <gtest/gtest.h>

#include "gguf/file.h"
#include "shared_data.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace pagoda::tokenizer {
namespace {

using Ids = std::vector<TokenId>;

class Stories260K : public ::testing::Test {
 protected:
  void SetUp() override {
    PAGODA_REQUIRE_SHARED(path, "models/stories260K.gguf");
    tok_ = make_tokenizer(load_vocab(gguf::File::open(path.string())));
  }
  std::unique_ptr<Tokenizer> tok_;
};

TEST_F(Stories260K, VocabKeys) {
  const Vocab& v = tok_->vocab();
  EXPECT_EQ(v.size(), 512);
  EXPECT_EQ(v.bos, 1);
  EXPECT_EQ(v.eos, 2);
  EXPECT_EQ(v.unk, 0);
  EXPECT_EQ(v.pad, -1);  // stored as 0xFFFFFFFF
  EXPECT_TRUE(v.add_bos);  // absent: the SPM default
  EXPECT_FALSE(v.add_eos);
  EXPECT_TRUE(v.add_space_prefix);
  EXPECT_TRUE(v.is_end_of_generation(2));
  EXPECT_FALSE(v.is_end_of_generation(1));
}

TEST_F(Stories260K, EncodesLikeLlamaCpp) {
  EXPECT_EQ(tok_->encode("Once upon a time", true, false), (Ids{1, 403, 407, 261, 378}));
  EXPECT_EQ(tok_->encode("Lily wanted to", true, false), (Ids{1, 317, 391, 266, 267}));
  EXPECT_EQ(tok_->encode("The dog", true, false), (Ids{1, 291, 400, 428}));
  EXPECT_EQ(tok_->encode("", true, false), (Ids{1}));
  EXPECT_EQ(tok_->encode("", false, false), Ids{});
}

TEST_F(Stories260K, DecodesBack) {
  for (const char* text : {"Once upon a time", "Lily wanted to", "The dog", "Zoë's caf\xc3\xa9 \xf0\x9f\x90\xb6!"}) {
    EXPECT_EQ(tok_->decode(tok_->encode(text, true, false)), text);
  }
  // Byte fallback: the emoji is not a piece of this small vocab.
  const Ids dog = tok_->encode("\xf0\x9f\x90\xb6", false, false);
  ASSERT_GE(dog.size(), 4u);
  StreamDecoder stream(*tok_);
  std::string streamed;
  for (TokenId id : dog) {
    const std::string part = stream.push(id);
    EXPECT_TRUE(part.empty() || part == " " || part == "\xf0\x9f\x90\xb6" || part == " \xf0\x9f\x90\xb6") << part;
    streamed += part;
  }
  streamed += stream.flush();
  EXPECT_EQ(streamed, " \xf0\x9f\x90\xb6");
}

}  // namespace
}  // namespace pagoda::tokenizer
