// Helpers shared by the benchmark modes of `pagoda bench`.
#include "cli/bench_common.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>

#include "core/error.h"
#include "kernels/tensor_view.h"
#include "quant/tensor_type.h"

namespace pagoda::cli::bench {

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t pos = s.find(sep, start);
    parts.push_back(s.substr(start, pos == std::string::npos ? std::string::npos : pos - start));
    if (pos == std::string::npos) return parts;
    start = pos + 1;
  }
}

// "128,512" -> {128, 512}; every element must be an integer >= min_value.
std::vector<int64_t> int_list(const Args& args, const std::string& flag, const std::string& fallback,
                              int64_t min_value) {
  const std::string text = args.str(flag, fallback);
  std::vector<int64_t> values;
  for (const std::string& part : split(text, ',')) {
    size_t used = 0;
    int64_t v = 0;
    bool ok = !part.empty() && (std::isdigit(static_cast<unsigned char>(part[0])) || part[0] == '-');
    if (ok) {
      try {
        v = std::stoll(part, &used);
      } catch (const std::exception&) {
        ok = false;
      }
    }
    if (!ok || used != part.size()) {
      fail("flag ", flag, " needs a comma-separated list of integers, got '", text, "' ('", part,
           "' is not an integer)");
    }
    if (v < min_value) fail("flag ", flag, " values must be >= ", min_value, ", got ", v, " in '", text, "'");
    values.push_back(v);
  }
  return values;
}

std::string printf_str(const char* fmt, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, fmt, v);
  return buf;
}

std::string format_size(uint64_t bytes) {
  const double gib = static_cast<double>(bytes) / (1ull << 30);
  return gib >= 1 ? printf_str("%.2f GiB", gib) : printf_str("%.2f MiB", static_cast<double>(bytes) / (1 << 20));
}

std::string format_params(uint64_t n) {
  const double v = static_cast<double>(n);
  return v >= 1e9 ? printf_str("%.2f B", v / 1e9) : printf_str("%.2f M", v / 1e6);
}

// "1.1B", "494M", "410K": the size part of a model description.
namespace {

std::string short_params(uint64_t n) {
  const double v = static_cast<double>(n);
  if (v >= 1e9) return printf_str("%.3g", v / 1e9) + "B";
  if (v >= 1e6) return printf_str("%.3g", v / 1e6) + "M";
  return printf_str("%.3g", v / 1e3) + "K";
}

}  // namespace

std::string iso8601_now() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

ModelInfo describe(const std::string& path, const model::Model& m) {
  ModelInfo info;
  info.path = path;
  info.name = std::filesystem::path(path).filename().string();
  std::map<quant::TensorType, uint64_t> bytes_by_type;
  for (const auto& t : m.file().tensors()) {
    info.size += t.nbytes;
    info.n_params += static_cast<uint64_t>(t.n_elements());
    bytes_by_type[t.type] += t.nbytes;
  }
  quant::TensorType dominant = quant::TensorType::F32;
  uint64_t most = 0;
  for (const auto& [type, bytes] : bytes_by_type) {
    if (bytes > most) {
      most = bytes;
      dominant = type;
    }
  }
  info.type_name = std::string(quant::type_info(dominant).name);
  std::string upper = info.type_name;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  info.description = m.hparams().arch + " " + short_params(info.n_params) + " " + upper;

  const kernels::MatrixView& embd = m.weights().token_embd;
  info.bytes_per_token = info.size;
  if (!m.weights().tied_output) {
    info.bytes_per_token -= static_cast<uint64_t>(embd.rows) * embd.row_bytes;
    info.bytes_per_token += embd.row_bytes;
  }
  return info;
}

// Sample standard deviation (n - 1), as llama-bench reports; 0 for one sample.
Stats stats_of(const std::vector<double>& v) {
  Stats s;
  if (v.empty()) return s;
  for (double x : v) s.mean += x;
  s.mean /= static_cast<double>(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.sd = std::sqrt(ss / static_cast<double>(v.size() - 1));
  }
  std::vector<double> sorted = v;
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  s.median = n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  return s;
}

std::vector<int32_t> random_tokens(int64_t n, int64_t n_vocab, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<int32_t> tokens(static_cast<size_t>(n));
  // Modulo rather than a std distribution: the ids are then the same with
  // every standard library.
  for (auto& t : tokens) t = static_cast<int32_t>(rng() % static_cast<uint64_t>(n_vocab));
  return tokens;
}

// Characters, not bytes: "±" is two bytes of UTF-8 but one column.
namespace {

size_t display_width(const std::string& s) {
  size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// A markdown table printed row by row as results arrive.
}  // namespace

void Table::print_header() const {
  std::vector<std::string> titles;
  for (const auto& c : columns_) titles.push_back(c.title);
  print_row(titles);
  std::string line = "|";
  for (const auto& c : columns_) {
    line += " " + std::string(static_cast<size_t>(c.width) - (c.right ? 1 : 0), '-') + (c.right ? ":" : "") + " |";
  }
  std::printf("%s\n", line.c_str());
}

void Table::print_row(const std::vector<std::string>& cells) const {
  std::string line = "|";
  for (size_t i = 0; i < columns_.size(); ++i) {
    const std::string& cell = i < cells.size() ? cells[i] : std::string();
    const size_t w = static_cast<size_t>(columns_[i].width);
    const size_t len = display_width(cell);
    const std::string pad(len < w ? w - len : 0, ' ');
    line += " " + (columns_[i].right ? pad + cell : cell + pad) + " |";
  }
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

}  // namespace pagoda::cli::bench
