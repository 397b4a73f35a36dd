#pragma once
// A small blocking HTTP/1.1 client over POSIX sockets for `pagoda bench
// serve`: one request per connection, the body handed over as it arrives
// (chunked or Content-Length), so streamed responses can be timed.
#include <functional>
#include <string>

namespace pagoda::cli {

struct HttpTarget {
  std::string host;  // an IPv4 address or a resolvable name
  int port = 80;
  std::string base_path;  // e.g. "" or "/v1" prefix given in the URL
};

// "http://127.0.0.1:8080" (https is not supported); pagoda::Error otherwise.
HttpTarget parse_http_url(const std::string& url);

struct HttpResult {
  int status = 0;
  std::string error;  // transport failure, empty when the exchange completed
};

// POSTs `body` (JSON) to target path; `on_body` gets each piece of the
// decoded body as it arrives.
HttpResult http_post_streaming(const HttpTarget& target, const std::string& path, const std::string& body,
                               const std::string& extra_headers, const std::function<void(const std::string&)>& on_body);

}  // namespace pagoda::cli
