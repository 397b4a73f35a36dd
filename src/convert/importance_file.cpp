#include "convert/importance_file.h"

#include <cmath>
#include <cstring>
#include <fstream>

#include "core/binary_io.h"
#include "core/error.h"

namespace pagoda::convert {
namespace {

constexpr char kMagic[8] = {'P', 'G', 'D', 'I', 'M', 'X', '0', '1'};
// Far above any real model (the largest vocabularies are ~256K columns).
constexpr uint32_t kMaxColumns = 1u << 24;
constexpr uint32_t kMaxName = 4096;

template <typename T>
T get(std::ifstream& in, const std::string& path) {
  return read_pod<T>(in, path, "importance file");
}

}  // namespace

void write_importance_file(const std::string& path, const std::map<std::string, ImportanceEntry>& entries) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(path, ": cannot create");
  out.write(kMagic, sizeof kMagic);
  write_pod(out, static_cast<uint32_t>(entries.size()));
  for (const auto& [name, e] : entries) {
    write_pod(out, static_cast<uint32_t>(name.size()));
    out.write(name.data(), static_cast<std::streamsize>(name.size()));
    write_pod(out, e.rows);
    write_pod(out, static_cast<uint32_t>(e.mean_square.size()));
    out.write(reinterpret_cast<const char*>(e.mean_square.data()), static_cast<std::streamsize>(e.mean_square.size() * 4));
  }
  if (!out.flush()) fail(path, ": write failed");
}

ImportanceMatrix read_importance_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, ": cannot open");
  char magic[8];
  if (!in.read(magic, sizeof magic) || std::memcmp(magic, kMagic, sizeof magic) != 0) {
    fail(path, ": not an importance matrix (make one with `pagoda imatrix`)");
  }
  const auto n = get<uint32_t>(in, path);
  ImportanceMatrix m;
  for (uint32_t i = 0; i < n; ++i) {
    const auto len = get<uint32_t>(in, path);
    if (len == 0 || len > kMaxName) fail(path, ": entry ", i, " has a name of ", len, " bytes");
    std::string name(len, '\0');
    if (!in.read(name.data(), len)) fail(path, ": importance file is cut short");
    get<uint64_t>(in, path);  // rows observed
    const auto cols = get<uint32_t>(in, path);
    if (cols == 0 || cols > kMaxColumns) fail(path, ": entry '", name, "' has ", cols, " columns");
    std::vector<float> v(cols);
    if (!in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(cols) * 4)) {
      fail(path, ": importance file is cut short");
    }
    for (float x : v) {
      if (!std::isfinite(x) || x < 0) fail(path, ": entry '", name, "' has a value that is not a finite mean square");
    }
    if (!m.emplace(std::move(name), std::move(v)).second) fail(path, ": entry ", i, " repeats a tensor name");
  }
  return m;
}

}  // namespace pagoda::convert
