#include "server/openai_api.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <random>
#include <set>

#include "server/api_error.h"
#include "tokenizer/chat_template.h"

namespace pagoda::server {
namespace {

const json* find(const json& body, const char* key) {
  const auto it = body.find(key);
  return it == body.end() || it->is_null() ? nullptr : &*it;
}

double number(const json& body, const char* key, double lo, double hi, double fallback) {
  const json* v = find(body, key);
  if (!v) return fallback;
  if (!v->is_number()) throw ApiError(400, str_cat("'", key, "' must be a number"), key);
  const double x = v->get<double>();
  if (!std::isfinite(x) || x < lo || x > hi) {
    throw ApiError(400, str_cat("'", key, "' must be between ", lo, " and ", hi, ", got ", v->dump()), key);
  }
  return x;
}

int64_t integer(const json& body, const char* key, int64_t lo, int64_t hi, int64_t fallback) {
  const json* v = find(body, key);
  if (!v) return fallback;
  if (!v->is_number_integer()) throw ApiError(400, str_cat("'", key, "' must be an integer"), key);
  // Unsigned values beyond int64 come back negative; compare as unsigned first.
  if (v->is_number_unsigned() && v->get<uint64_t>() > static_cast<uint64_t>(hi)) {
    throw ApiError(400, str_cat("'", key, "' must be between ", lo, " and ", hi, ", got ", v->dump()), key);
  }
  const auto x = v->get<int64_t>();
  if (x < lo || x > hi) throw ApiError(400, str_cat("'", key, "' must be between ", lo, " and ", hi, ", got ", x), key);
  return x;
}

bool boolean(const json& body, const char* key, bool fallback) {
  const json* v = find(body, key);
  if (!v) return fallback;
  if (!v->is_boolean()) throw ApiError(400, str_cat("'", key, "' must be a boolean"), key);
  return v->get<bool>();
}

void check_known(const json& body, const std::set<std::string>& known) {
  for (const auto& [key, value] : body.items()) {
    if (!known.count(key)) throw ApiError(400, str_cat("unrecognized request argument supplied: ", key), key);
  }
}

uint64_t fresh_seed() {
  static std::atomic<uint64_t> counter{0};
  const auto t = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return t ^ (0x9E3779B97F4A7C15ULL * ++counter);
}

std::string random_id(const char* prefix) {
  static std::atomic<uint64_t> counter{0};
  std::mt19937_64 rng(fresh_seed() + counter++);
  static const char* hex = "0123456789abcdef";
  std::string id = prefix;
  for (int i = 0; i < 24; ++i) id += hex[rng() % 16];
  return id;
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

// The parameters both endpoints share.
void common_parameters(const json& body, const ApiContext& ctx, GenerationPlan& plan, engine::Request& r) {
  if (const json* m = find(body, "model")) {
    if (!m->is_string()) throw ApiError(400, "'model' must be a string", "model");
    if (m->get<std::string>() != ctx.model_id) {
      throw ApiError(404, str_cat("The model '", m->get<std::string>(), "' does not exist; this server serves '",
                                  ctx.model_id, "'"),
                     "model", "", "model_not_found");
    }
  }
  plan.model = ctx.model_id;
  plan.created = unix_now();
  sampling::SamplingParams& sp = r.sampling;
  // OpenAI's defaults: plain sampling at temperature 1, no truncation.
  sp.temperature = static_cast<float>(number(body, "temperature", 0.0, 2.0, 1.0));
  sp.top_p = static_cast<float>(number(body, "top_p", 0.0, 1.0, 1.0));
  if (sp.top_p <= 0.0f) throw ApiError(400, "'top_p' must be greater than 0", "top_p");
  sp.top_k = static_cast<int>(integer(body, "top_k", -1, 1 << 30, 0));
  sp.min_p = static_cast<float>(number(body, "min_p", 0.0, 1.0, 0.0));
  sp.repetition_penalty = static_cast<float>(number(body, "repetition_penalty", 0.01, 100.0, 1.0));
  sp.seed = find(body, "seed") ? static_cast<uint64_t>(integer(body, "seed", INT64_MIN, INT64_MAX, 0)) : fresh_seed();
  r.presence_penalty = static_cast<float>(number(body, "presence_penalty", -2.0, 2.0, 0.0));
  r.frequency_penalty = static_cast<float>(number(body, "frequency_penalty", -2.0, 2.0, 0.0));
  r.n = static_cast<int>(integer(body, "n", 1, ctx.max_n, 1));
  r.ignore_eos = boolean(body, "ignore_eos", false);
  r.min_tokens = integer(body, "min_tokens", 0, ctx.max_model_len, 0);
  r.priority = static_cast<int>(integer(body, "priority", -1000000, 1000000, 0));
  if (const json* s = find(body, "stop")) {
    if (s->is_string()) {
      r.stop.push_back(s->get<std::string>());
    } else if (s->is_array() && s->size() <= 16) {
      for (const json& x : *s) {
        if (!x.is_string()) throw ApiError(400, "'stop' must be a string or a list of strings", "stop");
        r.stop.push_back(x.get<std::string>());
      }
    } else {
      throw ApiError(400, "'stop' must be a string or a list of at most 16 strings", "stop");
    }
    for (const std::string& x : r.stop) {
      if (x.empty()) throw ApiError(400, "'stop' strings must not be empty", "stop");
    }
  }
  const int64_t n_vocab = static_cast<int64_t>(ctx.tokenizer->vocab().size());
  if (const json* ids = find(body, "stop_token_ids")) {
    if (!ids->is_array()) throw ApiError(400, "'stop_token_ids' must be a list of token ids", "stop_token_ids");
    for (const json& x : *ids) {
      if (!x.is_number_integer() || x.get<int64_t>() < 0 || x.get<int64_t>() >= n_vocab) {
        throw ApiError(400, str_cat("'stop_token_ids' entries must be token ids below ", n_vocab), "stop_token_ids");
      }
      r.stop_token_ids.push_back(x.get<int32_t>());
    }
  }
  if (const json* bias = find(body, "logit_bias")) {
    if (!bias->is_object()) throw ApiError(400, "'logit_bias' must be an object of token id -> bias", "logit_bias");
    for (const auto& [key, value] : bias->items()) {
      size_t used = 0;
      long long id = -1;
      try {
        id = std::stoll(key, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != key.size() || id < 0 || id >= n_vocab) {
        throw ApiError(400, str_cat("'logit_bias' key '", key, "' is not a token id below ", n_vocab), "logit_bias");
      }
      if (!value.is_number() || !(std::abs(value.get<double>()) <= 100.0)) {
        throw ApiError(400, "'logit_bias' values must be numbers between -100 and 100", "logit_bias");
      }
      r.logit_bias.emplace_back(static_cast<int32_t>(id), value.get<float>());
    }
  }
  plan.stream = boolean(body, "stream", false);
  if (const json* so = find(body, "stream_options")) {
    if (!so->is_object()) throw ApiError(400, "'stream_options' must be an object", "stream_options");
    if (!plan.stream) throw ApiError(400, "'stream_options' is only allowed when 'stream' is true", "stream_options");
    plan.include_usage = boolean(*so, "include_usage", false);
  }
}

void check_length(const engine::Request& r, const ApiContext& ctx, const char* what) {
  const auto len = static_cast<int64_t>(r.prompt.size());
  if (len == 0) throw ApiError(400, "the prompt is empty", what);
  const int64_t wanted = r.max_tokens > 0 ? r.max_tokens : 1;
  if (len + wanted > ctx.max_model_len) {
    throw ApiError(400, str_cat("This model's maximum context length is ", ctx.max_model_len,
                                " tokens. However, you requested ", len + wanted, " tokens (", len, " in the ", what,
                                ", ", wanted, " in the completion). Please reduce the length."),
                   what, "", "context_length_exceeded");
  }
}

}  // namespace

std::vector<int32_t> parse_token_ids(const json& v, int64_t n_vocab, const char* param) {
  if (!v.is_array()) throw ApiError(400, str_cat("'", param, "' must be a list of token ids"), param);
  std::vector<int32_t> ids;
  for (const json& x : v) {
    if (!x.is_number_integer() || x.get<int64_t>() < 0 || x.get<int64_t>() >= n_vocab) {
      throw ApiError(400, str_cat("'", param, "' token ids must be integers in [0, ", n_vocab, ")"), param);
    }
    ids.push_back(x.get<int32_t>());
  }
  return ids;
}

json parse_body(const std::string& body) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::parse_error& e) {
    throw ApiError(400, str_cat("the request body is not valid JSON: ", e.what()));
  }
  if (!j.is_object()) throw ApiError(400, "the request body must be a JSON object");
  return j;
}

GenerationPlan plan_completion(const json& body, const ApiContext& ctx) {
  check_known(body, {"model", "prompt", "max_tokens", "temperature", "top_p", "n", "stream", "stream_options", "stop",
                     "presence_penalty", "frequency_penalty", "logit_bias", "seed", "logprobs", "echo", "user",
                     "suffix", "best_of", "top_k", "min_p", "repetition_penalty", "ignore_eos", "min_tokens",
                     "stop_token_ids", "priority"});
  GenerationPlan plan;
  plan.endpoint = Endpoint::Completions;
  plan.id = random_id("cmpl-");
  engine::Request base;
  common_parameters(body, ctx, plan, base);
  base.max_tokens = integer(body, "max_tokens", 1, ctx.max_model_len, 16);
  if (find(body, "suffix")) throw ApiError(400, "'suffix' is not supported", "suffix");
  if (integer(body, "best_of", 1, 1, 1) != 1) throw ApiError(400, "'best_of' must be 1", "best_of");
  plan.logprobs = static_cast<int>(integer(body, "logprobs", 0, 20, -1));
  base.logprobs = plan.logprobs;
  plan.echo = boolean(body, "echo", false);
  if (plan.echo && plan.stream) throw ApiError(400, "'echo' is not supported with 'stream'", "echo");

  const json* prompt = find(body, "prompt");
  if (!prompt) throw ApiError(400, "'prompt' is required", "prompt");
  const int64_t n_vocab = static_cast<int64_t>(ctx.tokenizer->vocab().size());
  std::vector<std::vector<int32_t>> prompts;
  std::vector<std::string> texts;
  const auto add_text = [&](const std::string& s) {
    prompts.push_back(ctx.tokenizer->encode(s, true, false));
    texts.push_back(s);
  };
  if (prompt->is_string()) {
    add_text(prompt->get<std::string>());
  } else if (prompt->is_array() && !prompt->empty() && (*prompt)[0].is_number()) {
    prompts.push_back(parse_token_ids(*prompt, n_vocab, "prompt"));
    texts.push_back(ctx.tokenizer->decode(prompts.back()));
  } else if (prompt->is_array() && !prompt->empty() && prompt->size() <= 64) {
    for (const json& p : *prompt) {
      if (p.is_string()) {
        add_text(p.get<std::string>());
      } else if (p.is_array()) {
        prompts.push_back(parse_token_ids(p, n_vocab, "prompt"));
        texts.push_back(ctx.tokenizer->decode(prompts.back()));
      } else {
        throw ApiError(400, "'prompt' must be a string, a list of strings, or token ids", "prompt");
      }
    }
  } else {
    throw ApiError(400, "'prompt' must be a string, a list of (at most 64) strings, or token ids", "prompt");
  }
  for (size_t i = 0; i < prompts.size(); ++i) {
    engine::Request r = base;
    r.prompt = std::move(prompts[i]);
    check_length(r, ctx, "prompt");
    plan.requests.push_back(std::move(r));
  }
  plan.prompt_texts = std::move(texts);
  return plan;
}

std::string render_chat(const json& body, const ApiContext& ctx) {
  const json* messages = find(body, "messages");
  if (!messages || !messages->is_array() || messages->empty()) {
    throw ApiError(400, "'messages' must be a non-empty list", "messages");
  }
  static const std::set<std::string> roles = {"system", "developer", "user", "assistant", "tool"};
  json normalized = json::array();
  for (const json& m : *messages) {
    if (!m.is_object()) throw ApiError(400, "each message must be an object", "messages");
    const json* role = find(m, "role");
    if (!role || !role->is_string() || !roles.count(role->get<std::string>())) {
      throw ApiError(400, "each message needs a 'role' of system, developer, user, assistant or tool", "messages");
    }
    json out = m;
    const json* content = find(m, "content");
    if (content && content->is_array()) {
      // Text parts are joined: templates expect a string.
      std::string text;
      for (const json& part : *content) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string()) {
          throw ApiError(400, "only text content parts ({\"type\": \"text\", \"text\": ...}) are supported", "messages");
        }
        text += part["text"].get<std::string>();
      }
      out["content"] = text;
    } else if (content && !content->is_string()) {
      throw ApiError(400, "message 'content' must be a string or a list of text parts", "messages");
    } else if (!content && !(role->get<std::string>() == "assistant" && m.contains("tool_calls"))) {
      throw ApiError(400, "message 'content' is required", "messages");
    }
    normalized.push_back(out);
  }
  if (!ctx.chat_template) {
    throw ApiError(400, "this model has no chat template; start the server with --chat-template FILE", "messages");
  }
  tokenizer::ChatTemplateInputs in;
  in.messages = normalized;
  if (const json* tools = find(body, "tools")) {
    if (!tools->is_array()) throw ApiError(400, "'tools' must be a list", "tools");
    in.tools = *tools;
  }
  in.add_generation_prompt = boolean(body, "add_generation_prompt", true);
  const auto& v = ctx.tokenizer->vocab();
  in.bos_token = v.bos >= 0 ? ctx.tokenizer->token_to_piece(v.bos, true) : "";
  in.eos_token = v.eos >= 0 ? ctx.tokenizer->token_to_piece(v.eos, true) : "";
  if (const json* kwargs = find(body, "chat_template_kwargs")) {
    if (!kwargs->is_object()) throw ApiError(400, "'chat_template_kwargs' must be an object", "chat_template_kwargs");
    in.extra = *kwargs;
  }
  try {
    return ctx.chat_template->render(in);
  } catch (const Error& e) {
    throw ApiError(400, str_cat("the chat template failed: ", e.what()), "messages");
  }
}

GenerationPlan plan_chat(const json& body, const ApiContext& ctx) {
  check_known(body, {"model", "messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "n", "stream",
                     "stream_options", "stop", "presence_penalty", "frequency_penalty", "logit_bias", "seed",
                     "logprobs", "top_logprobs", "user", "tools", "tool_choice", "parallel_tool_calls",
                     "response_format", "add_generation_prompt", "chat_template_kwargs", "top_k", "min_p",
                     "repetition_penalty", "ignore_eos", "min_tokens", "stop_token_ids", "priority"});
  GenerationPlan plan;
  plan.endpoint = Endpoint::Chat;
  plan.id = random_id("chatcmpl-");
  engine::Request r;
  common_parameters(body, ctx, plan, r);
  const int64_t max_tokens = integer(body, "max_tokens", 1, ctx.max_model_len, -1);
  r.max_tokens = integer(body, "max_completion_tokens", 1, ctx.max_model_len, max_tokens);
  plan.chat_logprobs = boolean(body, "logprobs", false);
  const auto top = static_cast<int>(integer(body, "top_logprobs", 0, 20, 0));
  if (find(body, "top_logprobs") && !plan.chat_logprobs) {
    throw ApiError(400, "'top_logprobs' needs 'logprobs' set to true", "top_logprobs");
  }
  plan.logprobs = plan.chat_logprobs ? top : -1;
  r.logprobs = plan.logprobs;
  if (const json* rf = find(body, "response_format")) {
    if (!rf->is_object() || rf->value("type", "") != "text") {
      throw ApiError(400, "only response_format {\"type\": \"text\"} is supported", "response_format");
    }
  }
  const std::string prompt = render_chat(body, ctx);
  // The template writes BOS itself where the model wants it.
  r.prompt = ctx.tokenizer->encode(prompt, /*add_special=*/false, /*parse_special=*/true);
  check_length(r, ctx, "messages");
  plan.requests.push_back(std::move(r));
  plan.prompt_texts.push_back(prompt);
  return plan;
}

}  // namespace pagoda::server
