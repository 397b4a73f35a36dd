#include "convert/hf_tokenizer.h"

#include <map>
#include <optional>
#include <vector>

#include "core/error.h"
#include "tokenizer/pre_tokenizers.h"
#include "tokenizer/utf8.h"

namespace pagoda::convert {
namespace {

using nlohmann::json;

// GGUF token types.
constexpr int32_t kNormal = 1, kUnknown = 2, kControl = 3, kUserDefined = 4, kUnused = 5, kByte = 6;

struct Vocabulary {
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  std::vector<std::string> merges;
};

void pad_to(Vocabulary& v, int64_t n) {
  while (static_cast<int64_t>(v.tokens.size()) < n) {
    v.tokens.push_back("[PAD" + std::to_string(v.tokens.size()) + "]");
    v.scores.push_back(0.0f);
    v.types.push_back(kUnused);
  }
}

void write_vocabulary(gguf::Writer& w, const std::string& model, const Vocabulary& v) {
  w.set("tokenizer.ggml.model", gguf::Value::string(model));
  w.set("tokenizer.ggml.tokens", gguf::Value::string_array(v.tokens));
  if (model == "llama") w.set("tokenizer.ggml.scores", gguf::Value::f32_array(v.scores));
  w.set("tokenizer.ggml.token_type", gguf::Value::i32_array(v.types));
  if (!v.merges.empty()) w.set("tokenizer.ggml.merges", gguf::Value::string_array(v.merges));
}

// A token's text in tokenizer_config.json: "<s>" or {"content": "<s>", ...}.
std::optional<std::string> token_text(const json& cfg, const char* key) {
  const auto it = cfg.find(key);
  if (it == cfg.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string()) {
    return (*it)["content"].get<std::string>();
  }
  return std::nullopt;
}

std::optional<int64_t> id_in_config(const json& config, const char* key) {
  const auto it = config.find(key);
  if (it == config.end()) return std::nullopt;
  if (it->is_number_integer()) return it->get<int64_t>();
  if (it->is_array() && !it->empty() && (*it)[0].is_number_integer()) return (*it)[0].get<int64_t>();
  return std::nullopt;
}

void set_id(gguf::Writer& w, const char* key, std::optional<int64_t> id, int64_t n) {
  if (!id) return;
  if (*id < 0 || *id >= n) fail(key, " = ", *id, " is outside the vocabulary of ", n, " tokens");
  w.set(key, gguf::Value::u32(static_cast<uint32_t>(*id)));
}

// tokenizer_config.json's chat template: a string, or a list of named ones
// (the "default" one is taken).
std::optional<std::string> chat_template_of(const json& cfg) {
  const auto it = cfg.find("chat_template");
  if (it == cfg.end()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (it->is_array()) {
    for (const auto& t : *it) {
      if (t.value("name", "") == "default" && t.contains("template") && t["template"].is_string()) {
        return t["template"].get<std::string>();
      }
    }
  }
  return std::nullopt;
}

TokenizerSummary from_pagoda_json(gguf::Writer& w, const json& t, int64_t min_tokens) {
  try {
    Vocabulary v;
    v.tokens = t.at("tokens").get<std::vector<std::string>>();
    v.scores = t.at("scores").get<std::vector<float>>();
    v.types = t.at("token_type").get<std::vector<int32_t>>();
    if (v.scores.size() != v.tokens.size() || v.types.size() != v.tokens.size()) {
      fail("tokens, scores and token_type differ in length");
    }
    pad_to(v, min_tokens);
    const std::string model = t.value("model", "llama");
    write_vocabulary(w, model, v);
    const auto n = static_cast<int64_t>(v.tokens.size());
    for (const char* k : {"bos_token_id", "eos_token_id", "unknown_token_id", "eot_token_id", "padding_token_id"}) {
      if (t.contains(k)) set_id(w, (std::string("tokenizer.ggml.") + k).c_str(), t[k].get<int64_t>(), n);
    }
    for (const char* k : {"add_bos_token", "add_eos_token", "add_space_prefix"}) {
      if (t.contains(k)) w.set(std::string("tokenizer.ggml.") + k, gguf::Value::boolean(t[k].get<bool>()));
    }
    if (t.contains("chat_template")) w.set("tokenizer.chat_template", gguf::Value::string(t["chat_template"].get<std::string>()));
    return {model, "pagoda_tokenizer.json", n};
  } catch (const json::exception& e) {
    fail("pagoda_tokenizer.json: ", e.what());
  }
}

// True when the normalizer (or one step of a Sequence) is of `type`.
bool has_normalizer(const json& normalizer, const std::string& type) {
  if (!normalizer.is_object()) return false;
  if (normalizer.value("type", "") == type) return true;
  if (normalizer.value("type", "") == "Sequence" && normalizer.contains("normalizers")) {
    for (const auto& n : normalizer["normalizers"]) {
      if (has_normalizer(n, type)) return true;
    }
  }
  return false;
}

// True when the normalizer prepends "▁" (SentencePiece's dummy prefix).
bool prepends_space(const json& normalizer) { return has_normalizer(normalizer, "Prepend"); }

// The regexes of tokenizer.json's pre-tokenizer: its Split steps in order
// (a ByteLevel step with use_regex adds GPT-2's own).
void collect_split_regexes(const json& pre, std::vector<std::string>& out) {
  if (!pre.is_object()) return;
  const std::string type = pre.value("type", "");
  if (type == "Sequence") {
    for (const auto& p : pre.value("pretokenizers", json::array())) collect_split_regexes(p, out);
  } else if (type == "Split" && pre.contains("pattern")) {
    const json& pattern = pre["pattern"];
    if (pattern.contains("Regex")) out.push_back(pattern["Regex"].get<std::string>());
    else if (pattern.contains("String")) out.push_back(pattern["String"].get<std::string>());
  } else if (type == "ByteLevel" && pre.value("use_regex", true)) {
    out.push_back(tokenizer::pre_tokenizers().front().regexes.front());  // GPT-2's pattern
  } else if (type == "Digits") {
    out.push_back(pre.value("individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)");
  }
}

// tokenizer.ggml.pre for the pre-tokenizer, recognised by its regexes.
std::string pre_tokenizer_of(const json& pre) {
  std::vector<std::string> regexes;
  collect_split_regexes(pre, regexes);
  if (regexes.empty()) return "default";
  if (const auto name = tokenizer::pre_tokenizer_named_by(regexes)) return *name;
  std::string list;
  for (const auto& r : regexes) list += "\n  " + r;
  fail("tokenizer.json: the pre-tokenizer's regexes are not one Pagoda knows:", list);
}

TokenizerSummary from_tokenizer_json(gguf::Writer& w, const HfCheckpoint& ck, const json& tj, int64_t min_tokens) {
  const json& model = tj.at("model");
  if (model.value("type", "") != "BPE") {
    fail("tokenizer.json: model type '", model.value("type", "?"), "' is not supported (supported: BPE)");
  }
  const bool byte_fallback = model.value("byte_fallback", false);
  // id -> (text, is special added token)
  std::map<int64_t, std::pair<std::string, int32_t>> by_id;
  for (const auto& [text, id] : model.at("vocab").items()) by_id[id.get<int64_t>()] = {text, kNormal};
  if (tj.contains("added_tokens")) {
    for (const auto& a : tj["added_tokens"]) {
      by_id[a.at("id").get<int64_t>()] = {a.at("content").get<std::string>(), a.value("special", false) ? kControl : kUserDefined};
    }
  }
  if (by_id.empty() || by_id.begin()->first < 0) fail("tokenizer.json: empty vocabulary or negative ids");

  // Merge ranks: "a b" strings or ["a", "b"] pairs.
  std::vector<std::string> merges;
  for (const auto& m : model.value("merges", json::array())) {
    if (m.is_string()) merges.push_back(m.get<std::string>());
    else if (m.is_array() && m.size() == 2) merges.push_back(m[0].get<std::string>() + " " + m[1].get<std::string>());
    else fail("tokenizer.json: a merge is neither \"a b\" nor [a, b]");
  }

  Vocabulary v;
  const int64_t n = by_id.rbegin()->first + 1;
  v.tokens.resize(static_cast<size_t>(n));
  v.scores.assign(static_cast<size_t>(n), 0.0f);
  v.types.assign(static_cast<size_t>(n), kUnused);
  for (int64_t i = 0; i < n; ++i) v.tokens[static_cast<size_t>(i)] = "[PAD" + std::to_string(i) + "]";
  const std::optional<std::string> unk = model.contains("unk_token") && model["unk_token"].is_string()
                                             ? std::optional(model["unk_token"].get<std::string>()) : std::nullopt;
  for (const auto& [id, entry] : by_id) {
    const auto i = static_cast<size_t>(id);
    v.tokens[i] = entry.first;
    v.types[i] = entry.second;
    // SentencePiece-style vocabularies: user-defined pieces are stored
    // pre-normalized (the space mark as a space), the GGUF convention (Gemma's
    // whitespace-run pieces), since decoders print user-defined text verbatim.
    if (byte_fallback && entry.second == kUserDefined) v.tokens[i] = tokenizer::space_marks_to_spaces(entry.first);
    if (byte_fallback && entry.second == kNormal) {
      if (entry.first.size() == 6 && entry.first.rfind("<0x", 0) == 0 && entry.first.back() == '>') v.types[i] = kByte;
      if (unk && entry.first == *unk) v.types[i] = kUnknown;
    }
  }
  std::string gguf_model;
  if (byte_fallback) {
    // SentencePiece BPE: a piece's score is its merge priority (earlier
    // merges score higher); base pieces score 0.
    gguf_model = "llama";
    std::map<std::string, size_t> id_of;
    for (size_t i = 0; i < v.tokens.size(); ++i) id_of.emplace(v.tokens[i], i);
    for (size_t r = 0; r < merges.size(); ++r) {
      const size_t sp = merges[r].find(' ');
      if (sp == std::string::npos) continue;
      const auto it = id_of.find(merges[r].substr(0, sp) + merges[r].substr(sp + 1));
      if (it != id_of.end() && v.scores[it->second] == 0.0f) v.scores[it->second] = -static_cast<float>(r + 1);
    }
    w.set("tokenizer.ggml.add_space_prefix", gguf::Value::boolean(prepends_space(tj.value("normalizer", json()))));
  } else {
    gguf_model = "gpt2";
    v.merges = std::move(merges);
    w.set("tokenizer.ggml.pre", gguf::Value::string(pre_tokenizer_of(tj.value("pre_tokenizer", json()))));
    // Qwen's tokenizers compose to NFC first; the GGUF standard has no key
    // for it, so Pagoda's own says so (other engines ignore it).
    if (has_normalizer(tj.value("normalizer", json()), "NFC")) {
      w.set("pagoda.tokenizer.normalizer", gguf::Value::string("NFC"));
    }
  }
  pad_to(v, min_tokens);
  write_vocabulary(w, gguf_model, v);
  const auto n_tokens = static_cast<int64_t>(v.tokens.size());

  const json cfg = ck.json_file("tokenizer_config.json").value_or(json::object());
  const auto id_of_text = [&](const std::optional<std::string>& text) -> std::optional<int64_t> {
    if (!text) return std::nullopt;
    for (size_t i = 0; i < v.tokens.size(); ++i) {
      if (v.tokens[i] == *text) return static_cast<int64_t>(i);
    }
    return std::nullopt;
  };
  std::optional<int64_t> bos = id_of_text(token_text(cfg, "bos_token"));
  std::optional<int64_t> eos = id_of_text(token_text(cfg, "eos_token"));
  if (!bos) bos = id_in_config(ck.config(), "bos_token_id");
  if (!eos) eos = id_in_config(ck.config(), "eos_token_id");
  set_id(w, "tokenizer.ggml.bos_token_id", bos, n_tokens);
  set_id(w, "tokenizer.ggml.eos_token_id", eos, n_tokens);
  set_id(w, "tokenizer.ggml.unknown_token_id", id_of_text(unk), n_tokens);
  set_id(w, "tokenizer.ggml.padding_token_id", id_of_text(token_text(cfg, "pad_token")), n_tokens);
  const bool add_bos = cfg.contains("add_bos_token") && cfg["add_bos_token"].is_boolean() ? cfg["add_bos_token"].get<bool>()
                                                                                          : byte_fallback;
  w.set("tokenizer.ggml.add_bos_token", gguf::Value::boolean(add_bos));
  if (cfg.contains("add_eos_token") && cfg["add_eos_token"].is_boolean()) {
    w.set("tokenizer.ggml.add_eos_token", gguf::Value::boolean(cfg["add_eos_token"].get<bool>()));
  }
  if (const auto tmpl = chat_template_of(cfg)) w.set("tokenizer.chat_template", gguf::Value::string(*tmpl));
  return {gguf_model, "tokenizer.json", n_tokens};
}

}  // namespace

TokenizerSummary write_tokenizer(gguf::Writer& w, const HfCheckpoint& ck, int64_t min_tokens) {
  if (const auto t = ck.json_file("pagoda_tokenizer.json")) return from_pagoda_json(w, *t, min_tokens);
  if (const auto t = ck.json_file("tokenizer.json")) {
    try {
      return from_tokenizer_json(w, ck, *t, min_tokens);
    } catch (const json::exception& e) {
      fail("tokenizer.json: ", e.what());
    }
  }
  fail(ck.dir().string(), ": no tokenizer.json (or pagoda_tokenizer.json); a tokenizer.model alone is not supported");
}

}  // namespace pagoda::convert
