#pragma once
// HTTP/1.1 on Boost.Beast: one I/O thread drives every connection
// asynchronously (keep-alive, body limit, read timeouts); requests go to a
// Handler; generated bodies are pulled from a ResponseSource when it
// signals, streamed with chunked transfer encoding for server-sent events.
// A connection that closes while its body is being produced cancels it.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "server/http_types.h"

namespace pagoda::server {

struct HttpServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;                           // 0: any free port (see port())
  size_t max_body_bytes = 8 * 1024 * 1024;
  std::chrono::seconds request_timeout{60};  // to receive one request (and idle keep-alive)
};

class HttpServer {
 public:
  HttpServer(const HttpServerConfig& config, Handler handler);
  ~HttpServer();

  int port() const;  // the bound port
  // Serves until stop(); returns after in-flight responses finished or
  // `drain` passed.
  void run();
  // Thread-safe: stop accepting; close idle connections.
  void stop(std::chrono::milliseconds drain);
  int64_t active_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pagoda::server
