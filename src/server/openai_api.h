#pragma once
// OpenAI's completions and chat completions as plain functions: parsed JSON
// in, engine requests out (with every parameter checked, OpenAI's defaults
// applied), and engine deltas back to OpenAI's response and stream-chunk
// JSON. No sockets here; server.cpp wires it to HTTP and the engine.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/request.h"
#include "tokenizer/tokenizer.h"

namespace pagoda::tokenizer {
class ChatTemplate;
}

namespace pagoda::server {

using json = nlohmann::ordered_json;

struct ApiContext {
  std::string model_id;
  const tokenizer::Tokenizer* tokenizer = nullptr;
  const tokenizer::ChatTemplate* chat_template = nullptr;  // null: the model has none
  int64_t max_model_len = 0;
  int max_n = 64;
};

enum class Endpoint { Completions, Chat };

// One API call: one engine request per prompt (completions accept a list).
struct GenerationPlan {
  Endpoint endpoint = Endpoint::Completions;
  std::string id;        // "cmpl-..." / "chatcmpl-..."
  int64_t created = 0;   // unix seconds
  std::string model;
  std::vector<engine::Request> requests;
  std::vector<std::string> prompt_texts;  // for echo
  bool stream = false;
  bool include_usage = false;
  bool echo = false;
  int logprobs = -1;  // completions: top N; chat: top_logprobs when logprobs is true
  bool chat_logprobs = false;
};

// Throw ApiError (400/404) naming the parameter that is wrong.
GenerationPlan plan_completion(const json& body, const ApiContext& ctx);
GenerationPlan plan_chat(const json& body, const ApiContext& ctx);

// The chat prompt text for messages (+ tools, add_generation_prompt), as
// /apply-template and chat completions render it.
std::string render_chat(const json& body, const ApiContext& ctx);

// Token ids below n_vocab; ApiError 400 naming `param` otherwise.
std::vector<int32_t> parse_token_ids(const json& v, int64_t n_vocab, const char* param);

// Parses a request body; ApiError 400 for broken JSON or a non-object.
json parse_body(const std::string& body);

// Collects deltas into the final (non-streamed) response, or turns each
// delta into stream chunks.
class ResponseAssembler {
 public:
  ResponseAssembler(const GenerationPlan& plan, const ApiContext& ctx);

  // request: index into plan.requests.
  void add(size_t request, const engine::Delta& d);
  // The chunks ("data: ...\n\n" lines) this delta makes when streaming.
  std::string stream_chunks(size_t request, const engine::Delta& d);
  std::string stream_end();  // usage chunk if asked, then [DONE]
  json final_response() const;

 private:
  struct Choice {
    std::string text;
    std::string finish_reason;
    int64_t tokens = 0;
    json logprobs;  // accumulated in the endpoint's format
    int64_t text_offset = 0;
  };
  int choice_index(size_t request, int sample) const;
  // The bookkeeping every delta gets (tokens, cached prompt, finish reason).
  Choice& account(size_t request, const engine::Delta& d);
  json logprobs_json(const engine::Delta& d, Choice& c) const;
  json usage() const;
  json chunk_base() const;

  const GenerationPlan& plan_;
  const ApiContext& ctx_;
  std::vector<Choice> choices_;
  std::vector<bool> role_sent_;
  std::vector<int64_t> prompt_tokens_, cached_tokens_;
};

}  // namespace pagoda::server
