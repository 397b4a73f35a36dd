#pragma once
// A live Pagoda server on 127.0.0.1 (a free port) serving stories260K with
// a small chat template, started and stopped by the test, and a minimal
// HTTP client over plain sockets.
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include "server/server.h"
#include "shared_data.h"

namespace pagoda::server::test {

using json = nlohmann::ordered_json;

struct Reply {
  int status = 0;
  std::string body;
  json json_body() const { return json::parse(body, nullptr, false); }
};

// Sends raw bytes and reads until the server closes, `until` appears, or
// `timeout` passes (plain POSIX sockets: SO_RCVTIMEO bounds every read).
inline std::string raw_exchange(int port, const std::string& bytes, const std::string& until = "",
                                std::chrono::milliseconds timeout = std::chrono::seconds(60),
                                bool* closed_by_peer = nullptr) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string got;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return got;
  }
  timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // The server may answer (413) and close before a huge body is written.
  size_t sent = 0;
  while (sent < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<size_t>(n);
  }
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed_by_peer) *closed_by_peer = n == 0 || errno == ECONNRESET;
      break;
    }
    got.append(buf, static_cast<size_t>(n));
    if (!until.empty() && got.find(until) != std::string::npos) break;
  }
  ::close(fd);
  return got;
}

inline Reply parse_reply(const std::string& raw) {
  Reply r;
  if (raw.size() > 12) r.status = std::stoi(raw.substr(9, 3));
  const size_t body = raw.find("\r\n\r\n");
  if (body == std::string::npos) return r;
  std::string head = raw.substr(0, body);
  std::string rest = raw.substr(body + 4);
  if (head.find("Transfer-Encoding: chunked") != std::string::npos) {
    // De-chunk.
    size_t pos = 0;
    while (pos < rest.size()) {
      const size_t eol = rest.find("\r\n", pos);
      if (eol == std::string::npos) break;
      const size_t len = std::stoul(rest.substr(pos, eol - pos), nullptr, 16);
      if (len == 0) break;
      r.body += rest.substr(eol + 2, len);
      pos = eol + 2 + len + 2;
    }
  } else {
    r.body = rest;
  }
  return r;
}

inline Reply call(int port, const std::string& method, const std::string& path, const std::string& body = "",
                  const std::string& extra_headers = "") {
  const std::string req = method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
                          (body.empty() && method == "GET" ? "" : "Content-Type: application/json\r\n") +
                          "Content-Length: " + std::to_string(body.size()) + "\r\n" + extra_headers + "\r\n" + body;
  return parse_reply(raw_exchange(port, req));
}

inline Reply post(int port, const std::string& path, const json& body, const std::string& headers = "") {
  return call(port, "POST", path, body.dump(), headers);
}

// The "data: ..." events of a streamed body, [DONE] included as a string.
inline std::vector<json> sse_events(const std::string& body, bool* saw_done) {
  std::vector<json> events;
  *saw_done = false;
  size_t pos = 0;
  while ((pos = body.find("data: ", pos)) != std::string::npos) {
    const size_t end = body.find("\n\n", pos);
    const std::string data = body.substr(pos + 6, end - pos - 6);
    if (data == "[DONE]") *saw_done = true;
    else events.push_back(json::parse(data));
    pos = end;
  }
  return events;
}

class LiveServer : public ::testing::Test {
 protected:
  void start(const std::string& api_key = "", int timeout_s = 60, bool speculative = false) {
    const auto model = pagoda::testing::shared_dir() / "models/stories260K.gguf";
    if (!std::filesystem::exists(model)) {
      if (pagoda::testing::running_in_ci()) FAIL() << "missing shared data: " << model;
      GTEST_SKIP() << "missing shared data: " << model;
    }
    const auto tpl = pagoda::testing::test_temp_dir() / "template.jinja";
    std::ofstream(tpl) << "{{ bos_token }}{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
                          "{% if add_generation_prompt %}assistant:{% endif %}";
    ServerConfig c;
    c.model_path = model.string();
    c.http.port = 0;
    c.http.request_timeout = std::chrono::seconds(timeout_s);
    c.http.max_body_bytes = 1 << 20;
    c.chat_template_file = tpl.string();
    c.api_key = api_key;
    c.version = "test";
    c.engine.threads = 2;
    c.engine.max_num_seqs = 16;
    if (speculative) c.engine.speculative.mode = engine::SpeculativeConfig::Mode::Ngram;
    c.drain_timeout = std::chrono::milliseconds(2000);
    server_ = std::make_unique<Server>(c);
    port_ = server_->port();
    thread_ = std::thread([this] { server_->run(); });
    for (int i = 0; i < 500; ++i) {
      if (call(port_, "GET", "/health").status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << "server did not become healthy";
  }
  void TearDown() override {
    if (server_) {
      server_->stop();
      thread_.join();
    }
  }
  std::unique_ptr<Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace pagoda::server::test
