#pragma once
// `pagoda serve`: the OpenAI-compatible server. Binds the port at once,
// loads the model in the background (/health answers 503 until it is
// ready), routes HTTP requests to the handlers and the engine.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "engine/engine.h"
#include "server/http_server.h"
#include "server/metrics.h"
#include "server/openai_api.h"

namespace pagoda::tokenizer {
class ChatTemplate;
}

namespace pagoda::server {

struct ServerConfig {
  HttpServerConfig http;
  std::string model_path;
  std::string draft_model_path;    // --draft-model: speculative decoding with a draft model
  std::string served_model_name;   // default: the file name without .gguf
  std::string chat_template_file;  // overrides the GGUF's tokenizer.chat_template
  std::string api_key;             // empty: no authentication
  std::string version;
  engine::EngineConfig engine;
  std::chrono::milliseconds drain_timeout{30000};
};

class Server {
 public:
  explicit Server(const ServerConfig& config);
  ~Server();

  int port() const { return http_->port(); }
  // Loads the model (in the background) and serves until stop(). Returns
  // false when loading failed (the reason is logged).
  bool run();
  // Thread-safe: stop accepting, finish in-flight work up to the drain
  // timeout, then run() returns.
  void stop();

  // The routing, for tests: any request to its response.
  HandlerResult handle(const HttpRequest& request);

 private:
  HandlerResult route(const HttpRequest& request);
  HandlerResult generate(const HttpRequest& request, Endpoint endpoint);
  HttpResponse tokenize(const HttpRequest& request);
  HttpResponse detokenize(const HttpRequest& request);
  HttpResponse apply_template(const HttpRequest& request);
  HttpResponse models() const;
  void load();

  ServerConfig config_;
  std::unique_ptr<HttpServer> http_;
  Metrics metrics_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> load_failed_{false};
  std::unique_ptr<model::Model> model_;
  std::unique_ptr<model::Model> draft_model_;  // declared before engine_, so it outlives it
  std::unique_ptr<tokenizer::Tokenizer> tokenizer_;
  std::unique_ptr<tokenizer::ChatTemplate> chat_template_;
  std::unique_ptr<engine::Engine> engine_;
  ApiContext api_;
  std::thread loader_;
};

}  // namespace pagoda::server
