#pragma once
// Command-line flags of one subcommand: "--name value", "-n value", "--flag".
// Unknown flags and bad values are pagoda::Error with the flag's name.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace pagoda::cli {

class Args {
 public:
  // switches: flags that take no value (e.g. "--json"). aliases map short
  // to long names ("-m" -> "--model").
  Args(const std::vector<std::string>& argv, const std::set<std::string>& value_flags,
       const std::set<std::string>& switches, const std::map<std::string, std::string>& aliases = {});

  bool has(const std::string& flag) const { return values_.count(flag) > 0; }
  std::string str(const std::string& flag, const std::string& fallback) const;
  std::string required(const std::string& flag) const;
  int64_t integer(const std::string& flag, int64_t fallback) const;
  double number(const std::string& flag, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace pagoda::cli
