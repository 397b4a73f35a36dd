// load_vocab: the tokenizer.ggml.* keys of a GGUF file -> Vocab. Kept apart
// from vocab.cpp so the in-memory parts do not depend on the GGUF reader.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.h"
#include "gguf/file.h"
#include "gguf/value.h"
#include "tokenizer/vocab.h"

namespace pagoda::tokenizer {
namespace {

using gguf::ValueType;

bool is_integer_type(ValueType t) {
  switch (t) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::UINT16: case ValueType::INT16:
    case ValueType::UINT32: case ValueType::INT32: case ValueType::UINT64: case ValueType::INT64:
      return true;
    default:
      return false;
  }
}

bool is_number_type(ValueType t) {
  return is_integer_type(t) || t == ValueType::FLOAT32 || t == ValueType::FLOAT64;
}

// The array under `key`, or nullptr when absent; its element type must pass `ok`.
template <typename Pred>
const gguf::Array* find_array(const gguf::File& file, std::string_view key, Pred ok, const char* wanted) {
  const gguf::Value* value = file.find(key);
  if (!value) return nullptr;
  if (value->type() != ValueType::ARRAY) {
    fail(key, " must be an array of ", wanted, ", but is a ", gguf::value_type_name(value->type()));
  }
  const gguf::Array& array = value->as_array();
  if (!ok(array.element_type)) {
    fail(key, " must be an array of ", wanted, ", but holds ", gguf::value_type_name(array.element_type));
  }
  return &array;
}

void check_length(std::string_view key, size_t n, size_t n_tokens) {
  if (n != n_tokens) {
    fail(key, " has ", n, " entries but tokenizer.ggml.tokens has ", n_tokens);
  }
}

// -1 or 0xFFFFFFFF (what converters write for "no such token") mean none;
// any other id must name a token. `fallback` applies when the key is absent.
TokenId read_id(const gguf::File& file, std::string_view key, TokenId fallback, size_t n_tokens) {
  std::optional<int64_t> v = file.get_int(key);
  if (!v) return fallback >= 0 && static_cast<size_t>(fallback) < n_tokens ? fallback : -1;
  if (*v == -1 || *v == int64_t{UINT32_MAX}) return -1;
  if (*v < 0 || static_cast<uint64_t>(*v) >= n_tokens) {
    fail(key, " = ", *v, " is out of range: the vocabulary has ", n_tokens, " tokens");
  }
  return static_cast<TokenId>(*v);
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Older converters did not write eot_token_id; llama.cpp then finds the
// end-of-turn token by its text. Listed in order of preference.
constexpr std::string_view kEotPieces[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "<\xef\xbd\x9c" "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>", "<end_of_utterance>",
};

void detect_eot(Vocab& vocab) {
  for (std::string_view piece : kEotPieces) {
    TokenId id = vocab.find(piece);
    if (id < 0 || id == vocab.eos) continue;
    vocab.eot = id;
    // A chat-turn marker stored as a normal token would be printed and
    // matched as text; llama.cpp treats it as control, and so do we.
    if (vocab.kind(id) != TokenKind::Control) vocab.kinds[static_cast<size_t>(id)] = TokenKind::Control;
    return;
  }
}

// llama.cpp's phi-3 quirk: whitespace after a special token is dropped when
// the token is split out of the text (so "<|user|>\nHi" does not encode the
// newline), except after <unk>, <s> and <|endoftext|>.
void apply_model_quirks(const gguf::File& file, Vocab& vocab) {
  std::string name = lowercase(file.get_string("general.name").value_or(""));
  if (name.find("phi-3") == std::string::npos && name.find("phi3") == std::string::npos) return;
  vocab.strip.assign(vocab.tokens.size(), kStripNone);
  for (TokenId id = 0; id < vocab.size(); ++id) {
    TokenKind k = vocab.kind(id);
    if (k == TokenKind::Control || k == TokenKind::UserDefined || k == TokenKind::Unknown) {
      vocab.strip[static_cast<size_t>(id)] |= kStripRight;
    }
  }
  if (TokenId id = vocab.find("</s>"); id >= 0) vocab.strip[static_cast<size_t>(id)] |= kStripRight;
  for (std::string_view piece : {"<unk>", "<s>", "<|endoftext|>"}) {
    if (TokenId id = vocab.find(piece); id >= 0) vocab.strip[static_cast<size_t>(id)] &= ~kStripRight;
  }
}

}  // namespace

Vocab load_vocab(const gguf::File& file) {
  Vocab vocab;
  std::optional<std::string> model = file.get_string("tokenizer.ggml.model");
  if (!model) fail("missing tokenizer.ggml.model: the file has no tokenizer");
  vocab.model = *model;
  vocab.pre = file.get_string("tokenizer.ggml.pre").value_or("");
  // Not a key of the GGUF standard (which has no normalizer): Pagoda's
  // converter writes it for tokenizer.json files that normalize to NFC.
  const std::string normalizer = file.get_string("pagoda.tokenizer.normalizer").value_or("");
  if (!normalizer.empty() && normalizer != "NFC") fail("tokenizer normalizer '", normalizer, "' is not supported (supported: NFC)");
  vocab.normalize_nfc = normalizer == "NFC";
  vocab.lowercase = file.get_bool("tokenizer.ggml.normalizer.lowercase").value_or(true);
  vocab.strip_accents = file.get_bool("tokenizer.ggml.normalizer.strip_accents").value_or(vocab.lowercase);
  const bool spm = vocab.model == "llama";

  const gguf::Array* tokens = find_array(
      file, "tokenizer.ggml.tokens", [](ValueType t) { return t == ValueType::STRING; }, "strings");
  if (!tokens) fail("missing tokenizer.ggml.tokens");
  if (tokens->items.empty()) fail("tokenizer.ggml.tokens is empty");
  if (tokens->items.size() > static_cast<size_t>(INT32_MAX)) {
    fail("tokenizer.ggml.tokens has too many entries: ", tokens->items.size());
  }
  const size_t n = tokens->items.size();
  vocab.tokens.reserve(n);
  for (const gguf::Value& v : tokens->items) vocab.tokens.push_back(v.as_string());

  if (const gguf::Array* scores = find_array(file, "tokenizer.ggml.scores", is_number_type, "numbers")) {
    check_length("tokenizer.ggml.scores", scores->items.size(), n);
    vocab.scores.reserve(n);
    for (const gguf::Value& v : scores->items) vocab.scores.push_back(static_cast<float>(v.as_float()));
  }

  vocab.kinds.assign(n, TokenKind::Normal);
  if (const gguf::Array* types = find_array(file, "tokenizer.ggml.token_type", is_integer_type, "integers")) {
    check_length("tokenizer.ggml.token_type", types->items.size(), n);
    for (size_t i = 0; i < n; ++i) {
      int64_t t = types->items[i].as_int();
      if (t < 0 || t > static_cast<int64_t>(TokenKind::Byte)) {
        fail("tokenizer.ggml.token_type[", i, "] = ", t, " is not a token type (0..6)");
      }
      vocab.kinds[i] = static_cast<TokenKind>(t);
    }
  }

  if (const gguf::Array* merges = find_array(
          file, "tokenizer.ggml.merges", [](ValueType t) { return t == ValueType::STRING; }, "strings")) {
    vocab.merges.reserve(merges->items.size());
    for (const gguf::Value& v : merges->items) vocab.merges.push_back(v.as_string());
  }

  vocab.build_index();

  // llama.cpp's defaults for SPM vocabularies written without these keys.
  const bool bert = vocab.model == "bert";  // WordPiece: [CLS] 101, [UNK] 100 when the keys are absent
  vocab.bos = read_id(file, "tokenizer.ggml.bos_token_id", spm ? 1 : bert ? 101 : -1, n);
  vocab.eos = read_id(file, "tokenizer.ggml.eos_token_id", spm ? 2 : -1, n);
  vocab.unk = read_id(file, "tokenizer.ggml.unknown_token_id", spm ? 0 : bert ? 100 : -1, n);
  vocab.pad = read_id(file, "tokenizer.ggml.padding_token_id", -1, n);
  vocab.eot = read_id(file, "tokenizer.ggml.eot_token_id", -1, n);
  if (!file.has("tokenizer.ggml.eot_token_id")) detect_eot(vocab);

  vocab.add_bos = file.get_bool("tokenizer.ggml.add_bos_token").value_or(spm);
  vocab.add_eos = file.get_bool("tokenizer.ggml.add_eos_token").value_or(false);
  vocab.add_space_prefix = file.get_bool("tokenizer.ggml.add_space_prefix").value_or(spm);
  if (vocab.add_bos && vocab.bos < 0) {
    fail("tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
  }
  if (vocab.add_eos && vocab.eos < 0) {
    fail("tokenizer.ggml.add_eos_token is true, but tokenizer.ggml.eos_token_id is not set");
  }
  vocab.chat_template = file.get_string("tokenizer.chat_template").value_or("");

  apply_model_quirks(file, vocab);
  return vocab;
}

}  // namespace pagoda::tokenizer
