#include "convert/quantize_model.h"

#include <algorithm>
#include <regex>

#include "core/error.h"
#include "quant/dequantize.h"

namespace pagoda::convert {
namespace {

using quant::TensorType;

struct Mix {
  const char* name;
  TensorType base;
  uint32_t file_type;  // general.file_type (the ecosystem's numbering)
};

constexpr Mix kMixes[] = {
    {"f32", TensorType::F32, 0},     {"f16", TensorType::F16, 1},      {"bf16", TensorType::BF16, 32},
    {"q8_0", TensorType::Q8_0, 7},   {"q4_0", TensorType::Q4_0, 2},    {"q4_1", TensorType::Q4_1, 3},
    {"q5_0", TensorType::Q5_0, 8},   {"q5_1", TensorType::Q5_1, 9},    {"q2_k", TensorType::Q2_K, 10},
    {"q3_k_s", TensorType::Q3_K, 11}, {"q3_k_m", TensorType::Q3_K, 12}, {"q4_k_s", TensorType::Q4_K, 14},
    {"q4_k_m", TensorType::Q4_K, 15}, {"q5_k_s", TensorType::Q5_K, 16}, {"q5_k_m", TensorType::Q5_K, 17},
    {"q6_k", TensorType::Q6_K, 18},  {"q3_k", TensorType::Q3_K, 11},   {"q4_k", TensorType::Q4_K, 14},
    {"q5_k", TensorType::Q5_K, 16},
};

const Mix& mix_named(const std::string& name) {
  for (const Mix& m : kMixes) {
    if (name == m.name) return m;
  }
  std::string known;
  for (const Mix& m : kMixes) known += std::string(known.empty() ? "" : ", ") + m.name;
  fail("unknown quantization type '", name, "' (known: ", known, ")");
}

bool more_bits_layer(int64_t layer, int64_t n_layer) {
  const int64_t eighth = n_layer / 8;
  return layer < eighth || layer >= n_layer - eighth || (layer - eighth) % 3 == 2;
}

// Layer index of "blk.N.<rest>", -1 otherwise.
int64_t layer_of(const std::string& name, std::string& rest) {
  static const std::regex re(R"(blk\.(\d+)\.(.+))");
  std::smatch m;
  if (!std::regex_match(name, m, re)) return -1;
  rest = m[2].str();
  return std::stoll(m[1].str());
}

TensorType fallback(TensorType t) {
  switch (t) {
    case TensorType::Q2_K:
    case TensorType::Q3_K: return TensorType::Q4_0;
    case TensorType::Q4_K: return TensorType::Q5_0;
    case TensorType::Q5_K: return TensorType::Q5_1;
    case TensorType::Q6_K: return TensorType::Q8_0;
    default: return TensorType::F16;
  }
}

int bits_of(TensorType t) {
  const auto& info = quant::type_info(t);
  return static_cast<int>(8 * info.block_bytes / info.block_size);
}

}  // namespace

std::vector<uint8_t> quantize_matrix(TensorType type, const float* values, int64_t rows, int64_t cols,
                                     ThreadPool& pool) {
  const size_t rb = quant::row_bytes(type, cols);
  std::vector<uint8_t> out(rb * static_cast<size_t>(rows));
  pool.parallel_for(rows, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      quant::quantize_row(type, values + r * cols, out.data() + static_cast<size_t>(r) * rb, cols);
    }
  });
  return out;
}

std::vector<std::string> quantize_type_names() {
  std::vector<std::string> out;
  for (const Mix& m : kMixes) out.emplace_back(m.name);
  return out;
}

TensorType planned_type(const std::string& mix_name, const std::string& name, int64_t n_layer) {
  const Mix& mix = mix_named(mix_name);
  const std::string m = mix.name;
  if (name == "output.weight" && bits_of(mix.base) < 6 && mix.base != TensorType::F16 && mix.base != TensorType::BF16) {
    return TensorType::Q6_K;
  }
  std::string rest;
  const int64_t layer = layer_of(name, rest);
  if (layer < 0) return mix.base;
  const bool v_or_down = rest == "attn_v.weight" || rest == "ffn_down.weight";
  if ((m == "q4_k_m" || m == "q5_k_m") && v_or_down && more_bits_layer(layer, n_layer)) return TensorType::Q6_K;
  if (m == "q4_k_s" && v_or_down && layer < std::max<int64_t>(1, n_layer / 8)) return TensorType::Q5_K;
  if (m == "q3_k_m") {
    if (rest == "attn_v.weight" || rest == "attn_output.weight") return TensorType::Q4_K;
    if (rest == "ffn_down.weight" && more_bits_layer(layer, n_layer)) return TensorType::Q4_K;
  }
  if (m == "q2_k" && v_or_down) return TensorType::Q3_K;
  return mix.base;
}

QuantizeSummary quantize_model(const gguf::File& in, const std::string& mix_name, const ImportanceMatrix* importance,
                               gguf::Writer& out, ThreadPool& pool,
                               const std::function<void(int64_t, int64_t)>& progress) {
  const Mix& mix = mix_named(mix_name);
  const std::string arch = in.get_string("general.architecture").value_or("");
  const int64_t n_layer = arch.empty() ? 0 : in.get_int(arch + ".block_count").value_or(0);
  for (const auto& [key, value] : in.metadata()) out.set(key, value);
  out.set("general.file_type", gguf::Value::u32(mix.file_type));
  out.set("general.quantization_version", gguf::Value::u32(2));

  QuantizeSummary s;
  const auto total = static_cast<int64_t>(in.tensors().size());
  for (const gguf::TensorInfo& t : in.tensors()) {
    ++s.n_tensors;
    s.bytes_in += t.nbytes;
    s.n_elements += static_cast<uint64_t>(t.n_elements());
    const bool matrix = t.dims.size() >= 2 && t.name.ends_with(".weight");
    const TensorType planned = matrix ? planned_type(mix.name, t.name, n_layer) : t.type;
    TensorType type = planned;
    const int64_t cols = t.dims.empty() ? 0 : t.dims[0];
    if (matrix && cols % quant::type_info(type).block_size != 0) {
      type = fallback(type);
      if (cols % quant::type_info(type).block_size != 0) type = TensorType::F16;
      ++s.n_fallbacks;
    }
    std::vector<uint8_t> data;
    if (!matrix || type == t.type) {
      data.assign(t.data, t.data + t.nbytes);  // kept as it is
    } else {
      if (!quant::type_info(t.type).can_dequantize) fail("tensor '", t.name, "' has type ", quant::type_info(t.type).name, ", which cannot be read");
      const std::vector<float>* imp = nullptr;
      if (importance) {
        const auto it = importance->find(t.name);
        if (it != importance->end()) {
          if (static_cast<int64_t>(it->second.size()) != cols) {
            fail("importance matrix entry '", t.name, "' has ", it->second.size(), " columns, the tensor ", cols);
          }
          imp = &it->second;
          ++s.n_importance;
        }
      }
      const int64_t rows = t.n_rows();
      const size_t in_row = quant::row_bytes(t.type, cols), out_row = quant::row_bytes(type, cols);
      data.resize(out_row * static_cast<size_t>(rows));
      pool.parallel_for(rows, [&](int64_t begin, int64_t end) {
        std::vector<float> row(static_cast<size_t>(cols));
        for (int64_t r = begin; r < end; ++r) {
          quant::dequantize_row(t.type, t.data + static_cast<size_t>(r) * in_row, row.data(), cols);
          quant::quantize_row_weighted(type, row.data(), data.data() + static_cast<size_t>(r) * out_row, cols,
                                       imp ? imp->data() : nullptr);
        }
      });
      ++s.n_quantized;
    }
    s.bytes_out += data.size();
    ++s.tensors_by_type[std::string(quant::type_info(type).name)];
    out.add_tensor(t.name, type, t.dims, std::move(data));
    if (progress) progress(s.n_tensors, total);
  }
  return s;
}

}  // namespace pagoda::convert
