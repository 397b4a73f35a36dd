#include "cli/http_client.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "core/error.h"

namespace pagoda::cli {

HttpTarget parse_http_url(const std::string& url) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) fail("the URL '", url, "' must start with http://");
  std::string rest = url.substr(scheme.size());
  HttpTarget t;
  const size_t slash = rest.find('/');
  if (slash != std::string::npos) {
    t.base_path = rest.substr(slash);
    rest = rest.substr(0, slash);
    while (!t.base_path.empty() && t.base_path.back() == '/') t.base_path.pop_back();
  }
  const size_t colon = rest.rfind(':');
  t.host = rest.substr(0, colon);
  if (colon != std::string::npos) {
    try {
      t.port = std::stoi(rest.substr(colon + 1));
    } catch (const std::exception&) {
      fail("bad port in URL '", url, "'");
    }
  }
  if (t.host.empty() || t.port <= 0 || t.port > 65535) fail("bad host or port in URL '", url, "'");
  return t;
}

namespace {

int connect_to(const HttpTarget& t, std::string& error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(t.host.c_str(), std::to_string(t.port).c_str(), &hints, &res) != 0 || !res) {
    error = "cannot resolve " + t.host;
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  freeaddrinfo(res);
  if (fd < 0) error = str_cat("cannot connect to ", t.host, ":", t.port, ": ", std::strerror(errno));
  return fd;
}

// Incremental decoder of a response: status line and headers, then a
// Content-Length, chunked, or until-close body.
class ResponseReader {
 public:
  explicit ResponseReader(const std::function<void(const std::string&)>& on_body) : on_body_(on_body) {}

  // Returns true when the response is complete.
  bool feed(const char* data, size_t n) {
    buf_.append(data, n);
    if (!headers_done_) {
      const size_t end = buf_.find("\r\n\r\n");
      if (end == std::string::npos) return false;
      const std::string head = buf_.substr(0, end);
      buf_.erase(0, end + 4);
      headers_done_ = true;
      if (head.size() > 12) status_ = std::atoi(head.c_str() + 9);
      std::string lower = head;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      chunked_ = lower.find("transfer-encoding: chunked") != std::string::npos;
      const size_t cl = lower.find("content-length:");
      if (cl != std::string::npos) remaining_ = std::atoll(lower.c_str() + cl + 15);
    }
    if (!chunked_) {
      if (!buf_.empty()) {
        on_body_(buf_);
        if (remaining_ >= 0) remaining_ -= static_cast<int64_t>(buf_.size());
        buf_.clear();
      }
      return remaining_ == 0;
    }
    for (;;) {
      const size_t eol = buf_.find("\r\n");
      if (eol == std::string::npos) return false;
      const size_t len = std::strtoul(buf_.c_str(), nullptr, 16);
      if (len == 0) return true;
      if (buf_.size() < eol + 2 + len + 2) return false;
      on_body_(buf_.substr(eol + 2, len));
      buf_.erase(0, eol + 2 + len + 2);
    }
  }
  int status() const { return status_; }

 private:
  const std::function<void(const std::string&)>& on_body_;
  std::string buf_;
  bool headers_done_ = false, chunked_ = false;
  int status_ = 0;
  int64_t remaining_ = -1;
};

}  // namespace

HttpResult http_post_streaming(const HttpTarget& target, const std::string& path, const std::string& body,
                               const std::string& extra_headers, const std::function<void(const std::string&)>& on_body) {
  HttpResult result;
  const int fd = connect_to(target, result.error);
  if (fd < 0) return result;
  const std::string request = str_cat("POST ", target.base_path, path, " HTTP/1.1\r\nHost: ", target.host, ":",
                                      target.port, "\r\nContent-Type: application/json\r\nAccept: */*\r\n",
                                      "Connection: close\r\nContent-Length: ", body.size(), "\r\n", extra_headers,
                                      "\r\n", body);
  size_t sent = 0;
  while (sent < request.size()) {
    const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      result.error = "send failed";
      ::close(fd);
      return result;
    }
    sent += static_cast<size_t>(n);
  }
  ResponseReader reader(on_body);
  char buf[16384];
  bool complete = false;
  for (;;) {
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    if (reader.feed(buf, static_cast<size_t>(n))) {
      complete = true;
      break;
    }
  }
  ::close(fd);
  result.status = reader.status();
  if (!complete && result.status == 0) result.error = "connection closed before a response";
  return result;
}

}  // namespace pagoda::cli
