#pragma once
// Errors that reach an HTTP client, with OpenAI's error body:
// {"error": {"message", "type", "param", "code"}}.
#include <nlohmann/json.hpp>
#include <string>

#include "core/error.h"
#include "server/http_types.h"

namespace pagoda::server {

class ApiError : public Error {
 public:
  ApiError(int status, const std::string& message, std::string param = "", std::string type = "",
           std::string code = "")
      : Error(message), status_(status), param_(std::move(param)), type_(std::move(type)), code_(std::move(code)) {}
  int status() const { return status_; }
  const std::string& param() const { return param_; }
  // invalid_request_error (4xx), authentication_error (401), not_found_error
  // (404), server_error (5xx) unless given.
  std::string type() const;
  const std::string& code() const { return code_; }

 private:
  int status_;
  std::string param_, type_, code_;
};

nlohmann::ordered_json error_body(const ApiError& e);
HttpResponse error_response(const ApiError& e);

}  // namespace pagoda::server
