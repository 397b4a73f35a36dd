// The committed models (models/README.md): they load, the target writes
// words, its perplexity on held-out text generated with another seed stays
// under the bound set from the training report, and the draft agrees with
// the target's greedy next token often enough to be worth speculating with.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "child_process.h"
#include "eval/perplexity.h"
#include "model/single_sequence.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace pagoda::eval {
namespace {

const std::string kModels = std::string(PAGODA_SOURCE_DIR) + "/models/";
const std::string kTarget = kModels + "pagoda-tiny-10m.gguf";
const std::string kDraft = kModels + "pagoda-tiny-draft.gguf";
const std::string kHeldOut = kModels + "heldout-seed2.txt";

// Measured on the committed files (models/README.md): target PPL 2.414 on
// the first 8 chunks of 512 tokens of the held-out text (F16 KV cache);
// draft top-1 agreement 82.6% (2,048 positions). The bounds leave room for other
// kernel paths' rounding (and 5% more), not for a different model.
constexpr double kMaxTargetPpl = 2.54;
constexpr double kMinDraftAgreement = 0.40;

struct Loaded {
  std::unique_ptr<model::Model> model;
  std::unique_ptr<tokenizer::Tokenizer> tokenizer;
};

Loaded load(const std::string& path) {
  Loaded l;
  l.model = model::Model::load(path);
  l.tokenizer = tokenizer::make_tokenizer(tokenizer::load_vocab(l.model->file()));
  return l;
}

std::vector<int32_t> held_out_tokens(const tokenizer::Tokenizer& tok, size_t max_tokens) {
  EXPECT_TRUE(std::filesystem::exists(kHeldOut)) << "cannot open " << kHeldOut;
  std::vector<int32_t> t = tok.encode(testing::read_text(kHeldOut), true, true);
  if (t.size() > max_tokens) t.resize(max_tokens);
  return t;
}

class OwnModelWords : public ::testing::TestWithParam<const char*> {};

TEST_P(OwnModelWords, GreedyFromOnceUponATimeIsWords) {
  Loaded m = load(kModels + GetParam());
  ThreadPool pool(2);
  model::SingleSequence seq(*m.model, 256, kv::KvType::F32);
  std::vector<int32_t> tokens = m.tokenizer->encode("Once upon a time", true, false);
  std::vector<float> logits;
  seq.forward(tokens, false, pool, logits);
  std::vector<int32_t> generated;
  for (int i = 0; i < 60; ++i) {
    const int32_t next = sampling::argmax(logits);
    if (m.tokenizer->vocab().is_end_of_generation(next)) break;
    generated.push_back(next);
    seq.forward(std::vector<int32_t>{next}, false, pool, logits);
  }
  ASSERT_GE(generated.size(), 30u) << "stopped early";
  int run = 1;
  for (size_t i = 1; i < generated.size(); ++i) {
    run = generated[i] == generated[i - 1] ? run + 1 : 1;
    ASSERT_LT(run, 10) << "token " << generated[i] << " repeats";
  }
  // The prompt and the continuation as one text (the continuation alone
  // starts mid-sentence, with a comma).
  std::vector<int32_t> all = tokens;
  all.insert(all.end(), generated.begin(), generated.end());
  const std::string text = m.tokenizer->decode(all);
  std::istringstream words(text);
  std::string word;
  int n_words = 0;
  while (words >> word) {
    // A word: letters (with an inner apostrophe or hyphen), with punctuation around it.
    std::string core = word;
    while (!core.empty() && std::ispunct(static_cast<unsigned char>(core.back()))) core.pop_back();
    while (!core.empty() && std::ispunct(static_cast<unsigned char>(core.front()))) core.erase(core.begin());
    EXPECT_FALSE(core.empty()) << "'" << word << "' in: " << text;
    for (char c : core) {
      EXPECT_TRUE(std::isalpha(static_cast<unsigned char>(c)) || c == '\'' || c == '-') << "'" << word << "' in: " << text;
    }
    ++n_words;
  }
  EXPECT_GE(n_words, 20) << text;
  std::cout << "[ INFO     ] " << text << "\n";
}

INSTANTIATE_TEST_SUITE_P(OwnModels, OwnModelWords, ::testing::Values("pagoda-tiny-10m.gguf", "pagoda-tiny-draft.gguf"),
                         [](const auto& info) { return std::string(info.index == 0 ? "target" : "draft"); });

TEST(OwnModels, TargetPerplexityOnHeldOutText) {
  Loaded m = load(kTarget);
  ThreadPool pool(2);
  const std::vector<int32_t> tokens = held_out_tokens(*m.tokenizer, 512 * 8);
  const PerplexityResult r = perplexity(*m.model, tokens, 512, 0, m.tokenizer->vocab().bos, kv::KvType::F16, pool);
  std::cout << "[ INFO     ] PPL " << r.ppl << " +/- " << r.ppl_stderr << " over " << r.n_scored << " tokens\n";
  EXPECT_LT(r.ppl, kMaxTargetPpl);
}

TEST(OwnModels, DraftAgreesWithTheTargetsGreedyNextToken) {
  Loaded target = load(kTarget);
  Loaded draft = load(kDraft);
  ASSERT_EQ(target.model->hparams().n_vocab, draft.model->hparams().n_vocab);
  ThreadPool pool(2);
  const std::vector<int32_t> tokens = held_out_tokens(*target.tokenizer, 512 * 4);
  const auto argmaxes = [&](model::Model& m) {
    std::vector<int32_t> out;
    model::SingleSequence seq(m, 512, kv::KvType::F32);
    std::vector<float> logits;
    const auto n_vocab = static_cast<size_t>(m.hparams().n_vocab);
    for (size_t c = 0; c + 512 <= tokens.size(); c += 512) {
      seq.clear();
      seq.forward(std::span(tokens).subspan(c, 512), true, pool, logits);
      for (size_t i = 0; i < 512; ++i) out.push_back(sampling::argmax(std::span(logits).subspan(i * n_vocab, n_vocab)));
    }
    return out;
  };
  const std::vector<int32_t> t = argmaxes(*target.model), d = argmaxes(*draft.model);
  ASSERT_EQ(t.size(), d.size());
  ASSERT_GT(t.size(), 0u);
  int64_t agree = 0;
  for (size_t i = 0; i < t.size(); ++i) agree += t[i] == d[i] ? 1 : 0;
  const double rate = static_cast<double>(agree) / static_cast<double>(t.size());
  std::cout << "[ INFO     ] draft agrees with the target's greedy token at " << 100 * rate << "% of " << t.size()
            << " positions\n";
  EXPECT_GE(rate, kMinDraftAgreement);
}

}  // namespace
}  // namespace pagoda::eval
