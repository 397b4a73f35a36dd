#pragma once
// The plain request/response types between the socket layer (HttpServer)
// and the handlers, so handlers are testable without sockets.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace pagoda::server {

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::string query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& name) const {
    const auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// A response body that becomes available over time (generation). The
// socket layer polls it on its I/O thread whenever it is notified.
class ResponseSource {
 public:
  virtual ~ResponseSource() = default;
  // Appends what is ready now to `out`; returns true once everything has
  // been produced (no more calls then).
  virtual bool poll(std::string& out) = 0;
  // `notify` may be called from any thread when more may be ready.
  virtual void set_notify(std::function<void()> notify) = 0;
  // The client went away: stop the work behind the source.
  virtual void cancel() = 0;
};

// What a handler answers: a complete response, or headers now and a body
// from `source` (streamed as server-sent events when `stream`, otherwise
// collected and sent whole).
struct HandlerResult {
  HttpResponse response;
  std::shared_ptr<ResponseSource> source;
  bool stream = false;
};

using Handler = std::function<HandlerResult(const HttpRequest&)>;

}  // namespace pagoda::server
