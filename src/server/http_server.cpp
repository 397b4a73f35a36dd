#include "server/http_server.h"

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <list>
#include <mutex>
#include <optional>

#include "core/error.h"
#include "core/log.h"
#include "server/api_error.h"

namespace pagoda::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

// Lets other threads post work to the I/O thread, and stops them from doing
// so once the server is gone (a late engine notification must not touch a
// destroyed io_context).
struct Poster {
  std::mutex mutex;
  net::io_context* ioc = nullptr;
  template <typename F>
  void post(F&& f) {
    std::lock_guard lock(mutex);
    if (ioc) net::post(*ioc, std::forward<F>(f));
  }
};

std::string reason(int status) {
  return std::string(http::obsolete_reason(http::int_to_status(static_cast<unsigned>(status))));
}

// The status line and headers, written as text so that full and streamed
// responses share one path.
std::string head_text(const HttpResponse& r, bool keep_alive, std::optional<size_t> content_length) {
  std::string h = str_cat("HTTP/1.1 ", r.status, " ", reason(r.status), "\r\n");
  h += "Server: pagoda\r\n";
  if (!r.content_type.empty()) h += "Content-Type: " + r.content_type + "\r\n";
  for (const auto& [k, v] : r.headers) h += k + ": " + v + "\r\n";
  if (content_length) h += str_cat("Content-Length: ", *content_length, "\r\n");
  else h += "Transfer-Encoding: chunked\r\n";
  h += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  h += "\r\n";
  return h;
}

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

}  // namespace

struct HttpServer::Impl {
  class Session;

  HttpServerConfig config;
  Handler handler;
  net::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
  std::shared_ptr<Poster> poster = std::make_shared<Poster>();
  std::list<std::weak_ptr<Session>> sessions;
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> connections{0};
  int64_t busy = 0;  // responses being produced (I/O thread only)
  std::optional<net::steady_timer> drain_timer;
  std::chrono::steady_clock::time_point drain_deadline;

  void accept();
  void begin_stop(std::chrono::milliseconds drain);
  void check_drained();
};

class HttpServer::Impl::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Impl& server) : stream_(std::move(socket)), server_(server) { ++server_.connections; }
  ~Session() {
    if (source_) {
      source_->set_notify({});
      source_->cancel();
    }
    --server_.connections;
  }

  void start() { read_request(); }
  bool idle() const { return idle_; }
  void close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.socket().close(ec);
  }

 private:
  void read_request() {
    idle_ = true;
    parser_.emplace();
    parser_->body_limit(server_.config.max_body_bytes);
    parser_->header_limit(64 * 1024);
    stream_.expires_after(server_.config.request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->on_request(ec); });
  }

  void on_request(beast::error_code ec) {
    idle_ = false;
    if (ec == http::error::body_limit) {
      keep_alive_ = false;
      send_full(error_response(
          ApiError(413, str_cat("request body exceeds the limit of ", server_.config.max_body_bytes, " bytes"))));
      return;
    }
    if (ec == http::error::end_of_stream || ec == net::error::eof || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset || ec == net::error::bad_descriptor) {
      close();
      return;
    }
    if (ec) {
      keep_alive_ = false;
      send_full(error_response(ApiError(400, "malformed HTTP request: " + ec.message())));
      return;
    }
    http::request<http::string_body> msg = parser_->release();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    const std::string target(msg.target());
    const size_t q = target.find('?');
    req.path = target.substr(0, q);
    if (q != std::string::npos) req.query = target.substr(q + 1);
    for (const auto& field : msg) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(field.value());
    }
    req.body = std::move(msg.body());
    keep_alive_ = msg.keep_alive() && !server_.stopping;

    HandlerResult result;
    try {
      result = server_.handler(req);
    } catch (const std::exception& e) {
      log::error(str_cat("handler failed: ", e.what()));
      result = {error_response(ApiError(500, "internal error")), nullptr, false};
    }
    if (!result.source) {
      send_full(result.response);
      return;
    }
    start_source(std::move(result));
  }

  void send_full(const HttpResponse& r) {
    out_ = head_text(r, keep_alive_, r.body.size()) + r.body;
    response_done_ = true;
    flush();
  }

  void start_source(HandlerResult result) {
    source_ = std::move(result.source);
    streaming_ = result.stream;
    head_ = std::move(result.response);
    ++server_.busy;
    stream_.expires_never();
    std::weak_ptr<Session> weak = shared_from_this();
    std::shared_ptr<Poster> poster = server_.poster;
    source_->set_notify([weak, poster] {
      poster->post([weak] {
        if (auto s = weak.lock()) s->pump();
      });
    });
    if (streaming_) out_ = head_text(head_, keep_alive_, std::nullopt);
    watch_for_disconnect();
    pump();
  }

  // Pulls what the source has ready into the output.
  void pump() {
    if (!source_ || source_done_) return;
    std::string data;
    source_done_ = source_->poll(data);
    if (streaming_) {
      if (!data.empty()) out_ += chunk(data);
      if (source_done_) out_ += "0\r\n\r\n";
    } else {
      body_ += data;
      if (source_done_) out_ = head_text(head_, keep_alive_, body_.size()) + body_;
    }
    if (source_done_) response_done_ = true;
    flush();
  }

  void flush() {
    if (writing_ || closed_) return;
    if (out_.empty()) {
      if (response_done_) end_response();
      return;
    }
    writing_ = true;
    in_flight_ = std::move(out_);
    out_.clear();
    net::async_write(stream_, net::buffer(in_flight_), [self = shared_from_this()](beast::error_code ec, size_t) {
      self->writing_ = false;
      if (ec) {
        self->abandon();
        return;
      }
      self->flush();
    });
  }

  // A read while the response is produced: the client has nothing to say
  // until it ends, so completion means it closed (or pipelined a request,
  // which is kept in the buffer for later).
  void watch_for_disconnect() {
    watching_ = true;
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, size_t n) {
      self->watching_ = false;
      if (!ec) {
        self->buffer_.commit(n);
        if (self->source_) self->watch_for_disconnect();
        else if (self->resume_after_watch_) self->read_request();
        return;
      }
      if (ec == net::error::operation_aborted && self->resume_after_watch_) {
        self->read_request();
        return;
      }
      if (ec != net::error::operation_aborted) self->abandon();
    });
  }

  void end_response() {
    response_done_ = false;
    if (source_) {
      source_->set_notify({});
      source_.reset();
      --server_.busy;
      server_.check_drained();
    }
    source_done_ = false;
    body_.clear();
    if (!keep_alive_) {
      close();
      closed_ = true;
      return;
    }
    if (watching_) {
      // Stop the disconnect watch; its handler starts the next read.
      resume_after_watch_ = true;
      beast::error_code ec;
      stream_.socket().cancel(ec);
      return;
    }
    resume_after_watch_ = false;
    read_request();
  }

  // The client is gone: stop generating, drop the connection.
  void abandon() {
    if (closed_) return;
    closed_ = true;
    if (source_) {
      source_->set_notify({});
      source_->cancel();
      source_.reset();
      --server_.busy;
      server_.check_drained();
    }
    close();
  }

  beast::tcp_stream stream_;
  Impl& server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<ResponseSource> source_;
  HttpResponse head_;
  std::string out_, in_flight_, body_;
  bool idle_ = false, keep_alive_ = false, streaming_ = false, source_done_ = false, response_done_ = false;
  bool writing_ = false, watching_ = false, resume_after_watch_ = false, closed_ = false;
};

void HttpServer::Impl::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopping) log::warn(str_cat("accept failed: ", ec.message()));
      if (stopping || ec == net::error::operation_aborted) return;
    } else {
      auto session = std::make_shared<Session>(std::move(socket), *this);
      sessions.remove_if([](const std::weak_ptr<Session>& w) { return w.expired(); });
      sessions.push_back(session);
      session->start();
    }
    accept();
  });
}

void HttpServer::Impl::begin_stop(std::chrono::milliseconds drain) {
  if (stopping.exchange(true)) return;
  beast::error_code ec;
  acceptor.close(ec);
  for (auto& w : sessions) {
    if (auto s = w.lock(); s && s->idle()) s->close();
  }
  drain_deadline = std::chrono::steady_clock::now() + drain;
  drain_timer.emplace(ioc);
  check_drained();
}

void HttpServer::Impl::check_drained() {
  if (!stopping || !drain_timer) return;
  if (busy == 0 || std::chrono::steady_clock::now() >= drain_deadline) {
    ioc.stop();
    return;
  }
  drain_timer->expires_after(std::chrono::milliseconds(50));
  drain_timer->async_wait([this](beast::error_code ec) {
    if (!ec) check_drained();
  });
}

HttpServer::HttpServer(const HttpServerConfig& config, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->config = config;
  impl_->handler = std::move(handler);
  impl_->poster->ioc = &impl_->ioc;
  beast::error_code ec;
  const auto address = net::ip::make_address(config.host, ec);
  if (ec) fail("--host '", config.host, "' is not an IP address");
  if (config.port < 0 || config.port > 65535) fail("--port must be in 0..65535, got ", config.port);
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(config.port));
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("cannot listen on ", config.host, ":", config.port, ": ", ec.message());
}

HttpServer::~HttpServer() {
  std::lock_guard lock(impl_->poster->mutex);
  impl_->poster->ioc = nullptr;
}

int HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::run() {
  impl_->accept();
  impl_->ioc.run();
}

void HttpServer::stop(std::chrono::milliseconds drain) {
  impl_->poster->post([this, drain] { impl_->begin_stop(drain); });
}

int64_t HttpServer::active_connections() const { return impl_->connections; }

}  // namespace pagoda::server
