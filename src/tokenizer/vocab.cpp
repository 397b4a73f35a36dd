// The in-memory parts of Vocab; reading one from GGUF is in load_vocab.cpp.
#include "tokenizer/vocab.h"

#include "core/error.h"

namespace pagoda::tokenizer {

TokenId Vocab::find(std::string_view piece) const {
  auto it = index.find(piece);
  return it == index.end() ? -1 : it->second;
}

bool Vocab::is_control(TokenId id) const {
  if (!contains(id)) return false;
  TokenKind k = kind(id);
  return k == TokenKind::Control || k == TokenKind::Unknown;
}

bool Vocab::is_end_of_generation(TokenId id) const {
  return id >= 0 && (id == eos || id == eot);
}

void Vocab::build_index() {
  index.clear();
  index.reserve(tokens.size());
  for (size_t i = 0; i < tokens.size(); ++i) {
    // An empty piece would match everywhere; nothing can encode to it.
    if (tokens[i].empty()) continue;
    index.emplace(tokens[i], static_cast<TokenId>(i));  // keeps the first id
  }
}

void Vocab::validate() const {
  if (tokens.size() > static_cast<size_t>(INT32_MAX)) fail("vocabulary has too many tokens: ", tokens.size());
  if (!scores.empty() && scores.size() != tokens.size()) {
    fail("vocabulary has ", scores.size(), " scores for ", tokens.size(), " tokens");
  }
  if (kinds.size() != tokens.size()) {
    fail("vocabulary has ", kinds.size(), " token kinds for ", tokens.size(), " tokens");
  }
  if (!strip.empty() && strip.size() != tokens.size()) {
    fail("vocabulary has ", strip.size(), " strip flags for ", tokens.size(), " tokens");
  }
  const std::pair<const char*, TokenId> ids[] = {
      {"bos", bos}, {"eos", eos}, {"unk", unk}, {"pad", pad}, {"eot", eot}};
  for (const auto& [name, id] : ids) {
    if (id != -1 && !contains(id)) fail("vocabulary ", name, " token id ", id, " is out of range [0, ", size(), ")");
  }
  if (add_bos && bos < 0) fail("vocabulary says to add a BOS token but has none");
  if (add_eos && eos < 0) fail("vocabulary says to add an EOS token but has none");
}

}  // namespace pagoda::tokenizer
