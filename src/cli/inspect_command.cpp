// `pagoda inspect`: a GGUF file's metadata and tensor table.
#include <cstdio>
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "core/error.h"
#include "gguf/file.h"

namespace pagoda::cli {
namespace {

constexpr size_t kMaxArrayItemsShown = 8;
constexpr size_t kMaxStringShown = 120;

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size() && i < kMaxStringShown; ++i) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (s.size() > kMaxStringShown) out += "...";
  return out + "\"";
}

std::string render(const gguf::Value& v) {
  switch (v.type()) {
    case gguf::ValueType::STRING:
      return quoted(v.as_string());
    case gguf::ValueType::BOOL:
      return v.as_bool() ? "true" : "false";
    case gguf::ValueType::FLOAT32:
    case gguf::ValueType::FLOAT64: {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%g", v.as_float());
      return buf;
    }
    case gguf::ValueType::ARRAY: {
      const gguf::Array& a = v.as_array();
      std::string out = "[" + std::string(gguf::value_type_name(a.element_type)) + " x " +
                        std::to_string(a.items.size()) + "] [";
      for (size_t i = 0; i < a.items.size() && i < kMaxArrayItemsShown; ++i) {
        out += (i ? ", " : "") + render(a.items[i]);
      }
      return out + (a.items.size() > kMaxArrayItemsShown ? ", ...]" : "]");
    }
    case gguf::ValueType::UINT64:
    case gguf::ValueType::UINT32:
    case gguf::ValueType::UINT16:
    case gguf::ValueType::UINT8:
      return std::to_string(v.as_uint());
    default:
      return std::to_string(v.as_int());
  }
}

}  // namespace

int inspect_command(const std::vector<std::string>& argv) {
  const Args args(argv, {}, {});
  if (args.positional().size() != 1) fail("usage: pagoda inspect MODEL.gguf");
  const gguf::File file = gguf::File::open(args.positional()[0]);

  std::printf("GGUF version %u, alignment %u, %zu metadata keys, %zu tensors, %llu bytes\n\n", file.version(),
              file.alignment(), file.metadata().size(), file.tensors().size(),
              static_cast<unsigned long long>(file.file_size()));
  for (const auto& [key, value] : file.metadata()) {
    std::printf("%-45s %-8s %s\n", key.c_str(), std::string(gguf::value_type_name(value.type())).c_str(),
                render(value).c_str());
  }
  std::printf("\n%-5s %-36s %-8s %-24s %14s %14s\n", "#", "tensor", "type", "shape", "offset", "bytes");
  uint64_t total = 0;
  int64_t params = 0;
  for (size_t i = 0; i < file.tensors().size(); ++i) {
    const gguf::TensorInfo& t = file.tensors()[i];
    std::string shape;
    for (size_t d = 0; d < t.dims.size(); ++d) shape += (d ? " x " : "") + std::to_string(t.dims[d]);
    std::printf("%-5zu %-36s %-8s %-24s %14llu %14llu\n", i, t.name.c_str(),
                std::string(quant::type_info(t.type).name).c_str(), shape.c_str(),
                static_cast<unsigned long long>(t.offset), static_cast<unsigned long long>(t.nbytes));
    total += t.nbytes;
    params += t.n_elements();
  }
  std::printf("\n%lld parameters, %.2f MB of tensor data (%.3f bits per weight)\n", static_cast<long long>(params),
              static_cast<double>(total) / 1e6, params ? 8.0 * static_cast<double>(total) / static_cast<double>(params) : 0.0);
  return 0;
}

}  // namespace pagoda::cli
