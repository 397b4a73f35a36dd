#include "cli/args.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "core/error.h"

namespace pagoda::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& value_flags,
           const std::set<std::string>& switches, const std::map<std::string, std::string>& aliases) {
  for (size_t i = 0; i < argv.size(); ++i) {
    std::string arg = argv[i];
    if (arg.size() < 2 || arg[0] != '-') {
      positional_.push_back(arg);
      continue;
    }
    std::string value;
    bool has_inline_value = false;
    if (auto eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      has_inline_value = true;
    }
    if (auto it = aliases.find(arg); it != aliases.end()) arg = it->second;
    if (switches.count(arg)) {
      if (has_inline_value) fail("flag ", arg, " takes no value");
      values_[arg] = "1";
    } else if (value_flags.count(arg)) {
      if (!has_inline_value) {
        if (i + 1 >= argv.size()) fail("flag ", arg, " needs a value");
        value = argv[++i];
      }
      values_[arg] = value;
    } else {
      fail("unknown flag ", arg);
    }
  }
}

std::string Args::str(const std::string& flag, const std::string& fallback) const {
  auto it = values_.find(flag);
  return it == values_.end() ? fallback : it->second;
}

std::string Args::required(const std::string& flag) const {
  auto it = values_.find(flag);
  if (it == values_.end()) fail("missing required flag ", flag);
  return it->second;
}

int64_t Args::integer(const std::string& flag, int64_t fallback) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return fallback;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(it->second.c_str(), &end, 10);
  if (errno != 0 || end == it->second.c_str() || *end != '\0') fail("flag ", flag, " needs an integer, got '", it->second, "'");
  return v;
}

double Args::number(const std::string& flag, double fallback) const {
  auto it = values_.find(flag);
  if (it == values_.end()) return fallback;
  errno = 0;
  char* end = nullptr;
  const double v = std::strtod(it->second.c_str(), &end);
  if (errno != 0 || end == it->second.c_str() || *end != '\0' || !std::isfinite(v)) {
    fail("flag ", flag, " needs a number, got '", it->second, "'");
  }
  return v;
}

}  // namespace pagoda::cli
