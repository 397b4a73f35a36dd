#pragma once
// Helpers shared by the benchmark modes of `pagoda bench`: flag lists,
// number formatting, model descriptions in llama-bench's terms, statistics
// and the markdown table printed as results arrive.
#include <cstdint>
#include <string>
#include <vector>

#include "cli/args.h"
#include "model/model.h"

namespace pagoda::cli::bench {

// Prompt and decode token ids come from this seed, so every run and every
// engine fed the same ids does the same work.
constexpr uint64_t kTokenSeed = 0x5eed;

std::vector<std::string> split(const std::string& s, char sep);
// "128,512" -> {128, 512}; every element must be an integer >= min_value.
std::vector<int64_t> int_list(const Args& args, const std::string& flag, const std::string& fallback,
                              int64_t min_value);
std::string printf_str(const char* fmt, double v);
std::string format_size(uint64_t bytes);
std::string format_params(uint64_t n);
std::string iso8601_now();

// What the table and JSON say about one model file.
struct ModelInfo {
  std::string path;
  std::string name;         // file name without directories, for the table
  std::string description;  // "llama 1.1B Q4_0", llama-bench's model_type
  std::string type_name;    // dominant weight type, "q4_0"
  uint64_t size = 0;        // bytes of all tensors
  uint64_t n_params = 0;
  // Weight bytes one decode step reads: every tensor once, but only one row
  // of the token embedding unless the output layer shares it.
  uint64_t bytes_per_token = 0;
};
ModelInfo describe(const std::string& path, const model::Model& m);

struct Stats {
  double mean = 0, sd = 0, median = 0;
};
// Sample standard deviation (n - 1), as llama-bench reports; 0 for one sample.
Stats stats_of(const std::vector<double>& v);

std::vector<int32_t> random_tokens(int64_t n, int64_t n_vocab, uint64_t seed = kTokenSeed);

// A markdown table printed row by row as results arrive.
class Table {
 public:
  struct Column {
    std::string title;
    int width;
    bool right;
  };
  explicit Table(std::vector<Column> columns) : columns_(std::move(columns)) {}
  void print_header() const;
  void print_row(const std::vector<std::string>& cells) const;

 private:
  std::vector<Column> columns_;
};

}  // namespace pagoda::cli::bench
