#pragma once
// Errors a user can cause (a bad file, a bad flag, a bad request) are thrown
// as pagoda::Error and turned into a clear message at the boundary (CLI,
// HTTP). Programming errors use assert.
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace pagoda {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Concatenates any streamable values: str_cat("tensor ", name, " has ", n, " dims").
template <typename... Parts>
std::string str_cat(Parts&&... parts) {
  std::ostringstream out;
  (out << ... << std::forward<Parts>(parts));
  return out.str();
}

template <typename... Parts>
[[noreturn]] void fail(Parts&&... parts) {
  throw Error(str_cat(std::forward<Parts>(parts)...));
}

}  // namespace pagoda
