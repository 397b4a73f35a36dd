// ResponseAssembler: engine deltas to OpenAI's response and chunk JSON.
#include "server/openai_api.h"

namespace pagoda::server {
namespace {

std::string sse(const json& j) {
  return "data: " + j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n\n";
}

json bytes_of(const std::string& s) {
  json b = json::array();
  for (unsigned char c : s) b.push_back(static_cast<int>(c));
  return b;
}

}  // namespace

ResponseAssembler::ResponseAssembler(const GenerationPlan& plan, const ApiContext& ctx)
    : plan_(plan), ctx_(ctx) {
  size_t n = 0;
  for (const auto& r : plan.requests) n += static_cast<size_t>(r.n);
  choices_.resize(n);
  role_sent_.assign(n, false);
  prompt_tokens_.assign(plan.requests.size(), 0);
  cached_tokens_.assign(plan.requests.size(), 0);
  for (size_t i = 0; i < plan.requests.size(); ++i) prompt_tokens_[i] = static_cast<int64_t>(plan.requests[i].prompt.size());
  if (plan.echo) {
    // Echo: each choice starts with its prompt's text.
    for (size_t i = 0; i < plan.requests.size(); ++i) {
      for (int s = 0; s < plan.requests[i].n; ++s) choices_[static_cast<size_t>(choice_index(i, s))].text = plan.prompt_texts[i];
    }
  }
}

int ResponseAssembler::choice_index(size_t request, int sample) const {
  int index = 0;
  for (size_t i = 0; i < request; ++i) index += plan_.requests[i].n;
  return index + sample;
}

json ResponseAssembler::logprobs_json(const engine::Delta& d, Choice& c) const {
  const tokenizer::Tokenizer& tok = *ctx_.tokenizer;
  if (plan_.endpoint == Endpoint::Chat) {
    json content = json::array();
    for (size_t i = 0; i < d.logprobs.size(); ++i) {
      const std::string piece = tok.token_to_piece(d.logprobs[i].id);
      json top = json::array();
      for (const auto& t : d.top_logprobs[i]) {
        const std::string p = tok.token_to_piece(t.id);
        top.push_back({{"token", p}, {"logprob", t.logprob}, {"bytes", bytes_of(p)}});
      }
      content.push_back({{"token", piece}, {"logprob", d.logprobs[i].logprob}, {"bytes", bytes_of(piece)}, {"top_logprobs", top}});
    }
    return {{"content", content}};
  }
  json tokens = json::array(), token_logprobs = json::array(), top_logprobs = json::array(), offsets = json::array();
  for (size_t i = 0; i < d.logprobs.size(); ++i) {
    const std::string piece = tok.token_to_piece(d.logprobs[i].id);
    tokens.push_back(piece);
    token_logprobs.push_back(d.logprobs[i].logprob);
    json top = json::object();
    for (const auto& t : d.top_logprobs[i]) top[tok.token_to_piece(t.id)] = t.logprob;
    top_logprobs.push_back(top);
    offsets.push_back(c.text_offset);
    c.text_offset += static_cast<int64_t>(piece.size());
  }
  return {{"tokens", tokens}, {"token_logprobs", token_logprobs}, {"top_logprobs", top_logprobs}, {"text_offset", offsets}};
}

ResponseAssembler::Choice& ResponseAssembler::account(size_t request, const engine::Delta& d) {
  Choice& c = choices_[static_cast<size_t>(choice_index(request, d.index))];
  if (d.prompt_tokens > 0) cached_tokens_[request] = d.cached_prompt_tokens;
  c.tokens += static_cast<int64_t>(d.token_ids.size());
  if (d.finish != engine::FinishReason::None) c.finish_reason = engine::finish_reason_name(d.finish);
  return c;
}

void ResponseAssembler::add(size_t request, const engine::Delta& d) {
  Choice& c = account(request, d);
  c.text += d.text;
  if (plan_.logprobs >= 0 && !d.logprobs.empty()) {
    const json lp = logprobs_json(d, c);
    if (c.logprobs.is_null()) {
      c.logprobs = lp;
    } else {
      for (const auto& [key, value] : lp.items()) {
        for (const json& x : value) c.logprobs[key].push_back(x);
      }
    }
  }
}

json ResponseAssembler::usage() const {
  int64_t prompt = 0, cached = 0, completion = 0;
  for (size_t i = 0; i < prompt_tokens_.size(); ++i) {
    prompt += prompt_tokens_[i];
    cached += cached_tokens_[i];
  }
  for (const Choice& c : choices_) completion += c.tokens;
  return {{"prompt_tokens", prompt},
          {"completion_tokens", completion},
          {"total_tokens", prompt + completion},
          {"prompt_tokens_details", {{"cached_tokens", cached}}}};
}

json ResponseAssembler::chunk_base() const {
  return {{"id", plan_.id},
          {"object", plan_.endpoint == Endpoint::Chat ? "chat.completion.chunk" : "text_completion"},
          {"created", plan_.created},
          {"model", plan_.model}};
}

std::string ResponseAssembler::stream_chunks(size_t request, const engine::Delta& d) {
  const int index = choice_index(request, d.index);
  Choice& c = account(request, d);
  std::string out;
  const json lp = plan_.logprobs >= 0 && !d.logprobs.empty() ? logprobs_json(d, c) : json(nullptr);
  const json finish = d.finish != engine::FinishReason::None ? json(engine::finish_reason_name(d.finish)) : json(nullptr);
  json chunk = chunk_base();
  json choice;
  choice["index"] = index;
  if (plan_.endpoint == Endpoint::Chat) {
    if (!role_sent_[static_cast<size_t>(index)]) {
      // OpenAI opens each choice with the role and empty content.
      role_sent_[static_cast<size_t>(index)] = true;
      json first = chunk;
      first["choices"] = json::array({{{"index", index}, {"delta", {{"role", "assistant"}, {"content", ""}}},
                                       {"logprobs", nullptr}, {"finish_reason", nullptr}}});
      if (plan_.include_usage) first["usage"] = nullptr;
      out += sse(first);
    }
    choice["delta"] = d.text.empty() ? json::object() : json{{"content", d.text}};
  } else {
    choice["text"] = d.text;
  }
  choice["logprobs"] = lp;
  choice["finish_reason"] = finish;
  if (d.text.empty() && lp.is_null() && finish.is_null()) return out;  // nothing to say yet
  chunk["choices"] = json::array({choice});
  if (plan_.include_usage) chunk["usage"] = nullptr;
  out += sse(chunk);
  return out;
}

std::string ResponseAssembler::stream_end() {
  std::string out;
  if (plan_.include_usage) {
    json chunk = chunk_base();
    chunk["choices"] = json::array();
    chunk["usage"] = usage();
    out += sse(chunk);
  }
  return out + "data: [DONE]\n\n";
}

json ResponseAssembler::final_response() const {
  json choices = json::array();
  for (size_t i = 0; i < choices_.size(); ++i) {
    const Choice& c = choices_[i];
    json choice;
    choice["index"] = static_cast<int>(i);
    if (plan_.endpoint == Endpoint::Chat) {
      choice["message"] = {{"role", "assistant"}, {"content", c.text}};
      choice["logprobs"] = plan_.logprobs >= 0 ? (c.logprobs.is_null() ? json{{"content", json::array()}} : c.logprobs)
                                               : json(nullptr);
    } else {
      choice["text"] = c.text;
      choice["logprobs"] = plan_.logprobs >= 0 ? c.logprobs : json(nullptr);
    }
    choice["finish_reason"] = c.finish_reason.empty() ? json(nullptr) : json(c.finish_reason);
    choices.push_back(choice);
  }
  json r;
  r["id"] = plan_.id;
  r["object"] = plan_.endpoint == Endpoint::Chat ? "chat.completion" : "text_completion";
  r["created"] = plan_.created;
  r["model"] = plan_.model;
  r["choices"] = choices;
  r["usage"] = usage();
  return r;
}

}  // namespace pagoda::server
