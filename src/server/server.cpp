#include "server/server.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/log.h"
#include "server/api_error.h"
#include "server/generation_source.h"
#include "tokenizer/chat_template.h"

namespace pagoda::server {
namespace {

HttpResponse json_response(const json& j, int status = 200) {
  HttpResponse r;
  r.status = status;
  r.body = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

// Compares without an early exit, so the time taken does not tell how much
// of a guessed key was right.
bool constant_time_equal(const std::string& a, const std::string& b) {
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i % (b.empty() ? 1 : b.size())]);
  return diff == 0 && !b.empty();
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read the chat template file ", path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Server::Server(const ServerConfig& config) : config_(config) {
  if (config_.served_model_name.empty()) config_.served_model_name = std::filesystem::path(config_.model_path).stem().string();
  http_ = std::make_unique<HttpServer>(config_.http, [this](const HttpRequest& r) { return handle(r); });
}

Server::~Server() {
  if (loader_.joinable()) loader_.join();
}

void Server::load() {
  try {
    model_ = model::Model::load(config_.model_path);
    tokenizer_ = tokenizer::make_tokenizer(tokenizer::load_vocab(model_->file()));
    std::string source;
    if (!config_.chat_template_file.empty()) {
      source = read_file(config_.chat_template_file);
    } else if (const gguf::Value* t = model_->file().find("tokenizer.chat_template")) {
      if (t->type() == gguf::ValueType::STRING) source = t->as_string();
    }
    if (!source.empty()) chat_template_ = std::make_unique<tokenizer::ChatTemplate>(source);
    if (!config_.draft_model_path.empty()) {
      draft_model_ = model::Model::load(config_.draft_model_path);
      engine::check_same_vocabulary(*model_, *draft_model_);
      config_.engine.speculative.mode = engine::SpeculativeConfig::Mode::Draft;
      config_.engine.speculative.draft_model = draft_model_.get();
    }
    engine_ = std::make_unique<engine::Engine>(*model_, tokenizer_.get(), config_.engine);
    api_.model_id = config_.served_model_name;
    api_.tokenizer = tokenizer_.get();
    api_.chat_template = chat_template_.get();
    api_.max_model_len = engine_->config().max_model_len;
    api_.max_n = engine_->config().max_num_seqs;
    ready_.store(true, std::memory_order_release);
    log::info(str_cat("serving '", api_.model_id, "' on http://", config_.http.host, ":", port(), " (context ",
                      api_.max_model_len, ", ", chat_template_ ? "chat template loaded" : "no chat template", ")"));
  } catch (const std::exception& e) {
    log::error(str_cat("cannot load the model: ", e.what()));
    load_failed_ = true;
    http_->stop(std::chrono::milliseconds(0));
  }
}

bool Server::run() {
  loader_ = std::thread([this] { load(); });
  http_->run();
  if (loader_.joinable()) loader_.join();
  engine_.reset();  // finishes the loop thread before the model goes
  return !load_failed_;
}

void Server::stop() { http_->stop(config_.drain_timeout); }

HandlerResult Server::handle(const HttpRequest& request) {
  HandlerResult result;
  try {
    result = route(request);
  } catch (const ApiError& e) {
    result.response = error_response(e);
  } catch (const engine::OverloadedError& e) {
    result.response = error_response(ApiError(503, e.what()));
  } catch (const Error& e) {  // a request the engine refused
    result.response = error_response(ApiError(400, e.what()));
  }
  metrics_.record_http(result.response.status);
  return result;
}

HandlerResult Server::route(const HttpRequest& request) {
  const std::string& path = request.path;
  const bool get = request.method == "GET", post = request.method == "POST";
  const auto need = [&](bool ok) {
    if (!ok) throw ApiError(405, str_cat("method ", request.method, " is not allowed on ", path));
  };
  if (path == "/health") {
    need(get);
    if (!ready_.load(std::memory_order_acquire)) return {json_response({{"status", "loading"}}, 503), nullptr, false};
    return {json_response({{"status", "ok"}}), nullptr, false};
  }
  if (path == "/version") {
    need(get);
    return {json_response({{"version", config_.version}}), nullptr, false};
  }
  static const char* known[] = {"/metrics", "/v1/models", "/v1/completions", "/v1/chat/completions",
                                "/tokenize", "/detokenize", "/apply-template"};
  if (std::find(std::begin(known), std::end(known), path) == std::end(known)) {
    throw ApiError(404, str_cat("no route for ", request.method, " ", path));
  }
  if (!config_.api_key.empty() && path != "/metrics") {
    const std::string auth = request.header("authorization");
    const std::string prefix = "Bearer ";
    if (auth.compare(0, prefix.size(), prefix) != 0 || !constant_time_equal(auth.substr(prefix.size()), config_.api_key)) {
      throw ApiError(401, "invalid or missing API key (send 'Authorization: Bearer KEY')", "", "", "invalid_api_key");
    }
  }
  if (!ready_.load(std::memory_order_acquire)) throw ApiError(503, "the model is still loading");
  if (path == "/metrics") {
    need(get);
    HttpResponse r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics_.render(engine_->stats());
    return {r, nullptr, false};
  }
  if (path == "/v1/models") {
    need(get);
    return {models(), nullptr, false};
  }
  need(post);
  if (path == "/v1/completions") return generate(request, Endpoint::Completions);
  if (path == "/v1/chat/completions") return generate(request, Endpoint::Chat);
  if (path == "/tokenize") return {tokenize(request), nullptr, false};
  if (path == "/detokenize") return {detokenize(request), nullptr, false};
  return {apply_template(request), nullptr, false};
}

HandlerResult Server::generate(const HttpRequest& request, Endpoint endpoint) {
  const json body = parse_body(request.body);
  GenerationPlan plan = endpoint == Endpoint::Chat ? plan_chat(body, api_) : plan_completion(body, api_);
  HandlerResult result;
  result.stream = plan.stream;
  if (plan.stream) {
    result.response.content_type = "text/event-stream";
    result.response.headers = {{"Cache-Control", "no-cache"}};
  }
  result.source = std::make_shared<GenerationSource>(*engine_, std::move(plan), api_, metrics_);
  return result;
}

HttpResponse Server::tokenize(const HttpRequest& request) {
  const json body = parse_body(request.body);
  std::vector<int32_t> ids;
  if (body.contains("messages")) {
    const std::string prompt = render_chat(body, api_);
    ids = tokenizer_->encode(prompt, false, true);
  } else {
    if (!body.contains("prompt") || !body["prompt"].is_string()) throw ApiError(400, "'prompt' (a string) or 'messages' is required", "prompt");
    bool add_special = true;
    if (body.contains("add_special_tokens")) {
      if (!body["add_special_tokens"].is_boolean()) throw ApiError(400, "'add_special_tokens' must be a boolean", "add_special_tokens");
      add_special = body["add_special_tokens"].get<bool>();
    }
    ids = tokenizer_->encode(body["prompt"].get<std::string>(), add_special, true);
  }
  return json_response({{"count", ids.size()}, {"max_model_len", api_.max_model_len}, {"tokens", ids}});
}

HttpResponse Server::detokenize(const HttpRequest& request) {
  const json body = parse_body(request.body);
  if (!body.contains("tokens")) throw ApiError(400, "'tokens' (a list of token ids) is required", "tokens");
  const std::vector<int32_t> ids = parse_token_ids(body["tokens"], tokenizer_->vocab().size(), "tokens");
  return json_response({{"prompt", tokenizer_->decode(ids)}});
}

HttpResponse Server::apply_template(const HttpRequest& request) {
  const json body = parse_body(request.body);
  return json_response({{"prompt", render_chat(body, api_)}});
}

HttpResponse Server::models() const {
  json m = {{"id", api_.model_id}, {"object", "model"}, {"created", 0}, {"owned_by", "pagoda"},
            {"max_model_len", api_.max_model_len}};
  return json_response({{"object", "list"}, {"data", json::array({m})}});
}

}  // namespace pagoda::server
