#include "server/api_error.h"

namespace pagoda::server {

std::string ApiError::type() const {
  if (!type_.empty()) return type_;
  if (status_ == 401) return "authentication_error";
  if (status_ == 404) return "not_found_error";
  if (status_ == 429 || status_ == 503) return "overloaded_error";
  if (status_ >= 500) return "server_error";
  return "invalid_request_error";
}

nlohmann::ordered_json error_body(const ApiError& e) {
  nlohmann::ordered_json err;
  err["message"] = e.what();
  err["type"] = e.type();
  err["param"] = e.param().empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.param());
  err["code"] = e.code().empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(e.code());
  return {{"error", err}};
}

HttpResponse error_response(const ApiError& e) {
  HttpResponse r;
  r.status = e.status();
  r.body = error_body(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

}  // namespace pagoda::server
