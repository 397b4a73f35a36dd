#include "convert/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "quant/half.h"

namespace pagoda::convert {
namespace {

// Headers of real checkpoints are well under a megabyte; the format's own
// implementation refuses more than 100 MB.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

struct DtypeInfo {
  StDtype type;
  std::string_view name;
  size_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {StDtype::F64, "F64", 8}, {StDtype::F32, "F32", 4}, {StDtype::F16, "F16", 2}, {StDtype::BF16, "BF16", 2},
    {StDtype::I64, "I64", 8}, {StDtype::I32, "I32", 4}, {StDtype::I16, "I16", 2}, {StDtype::I8, "I8", 1},
    {StDtype::U8, "U8", 1},   {StDtype::BOOL, "BOOL", 1},
};

const DtypeInfo& info(StDtype t) {
  for (const auto& d : kDtypes) {
    if (d.type == t) return d;
  }
  return kDtypes[0];
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// "F32" -> StDtype; the error lists what is known.
StDtype parse_dtype(const std::string& name, const std::string& tensor) {
  for (const auto& d : kDtypes) {
    if (d.name == name) return d.type;
  }
  fail("tensor '", tensor, "': unsupported dtype '", name, "' (supported: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL)");
}

}  // namespace

std::string_view dtype_name(StDtype t) { return info(t).name; }
size_t dtype_size(StDtype t) { return info(t).size; }

int64_t StTensor::n_elements() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;  // validated by the parser not to overflow
  return n;
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  SafetensorsFile f;
  f.bytes_ = MappedFile::open(path);
  try {
    f.parse_image();
  } catch (const Error& e) {
    fail(path, ": ", e.what());
  }
  return f;
}

SafetensorsFile SafetensorsFile::parse(std::span<const uint8_t> bytes) {
  SafetensorsFile f;
  f.bytes_ = MappedFile::copy_of(bytes);
  f.parse_image();
  return f;
}

void SafetensorsFile::parse_image() {
  const uint64_t size = bytes_.size();
  if (size < 8) fail("file too small for a safetensors header (", size, " bytes)");
  const uint64_t header_len = read_u64_le(bytes_.data());
  if (header_len > kMaxHeaderBytes) fail("header length ", header_len, " exceeds the 100 MB limit");
  if (header_len > size - 8) fail("header length ", header_len, " runs past the end of the file (", size, " bytes)");
  const auto* header_begin = reinterpret_cast<const char*>(bytes_.data() + 8);
  nlohmann::json header;
  try {
    header = nlohmann::json::parse(header_begin, header_begin + header_len);
  } catch (const nlohmann::json::exception& e) {
    fail("header is not valid JSON: ", e.what());
  }
  if (!header.is_object()) fail("header is not a JSON object");

  const uint64_t data_start = 8 + header_len;
  const uint64_t data_size = size - data_start;
  for (const auto& [name, entry] : header.items()) {
    if (name == "__metadata__") {
      if (!entry.is_object()) fail("__metadata__ is not an object");
      for (const auto& [k, v] : entry.items()) {
        if (!v.is_string()) fail("__metadata__['", k, "'] is not a string");
        metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    if (!entry.is_object()) fail("tensor '", name, "': entry is not an object");
    const auto dtype = entry.find("dtype");
    const auto shape = entry.find("shape");
    const auto offsets = entry.find("data_offsets");
    if (dtype == entry.end() || !dtype->is_string()) fail("tensor '", name, "': missing string 'dtype'");
    if (shape == entry.end() || !shape->is_array()) fail("tensor '", name, "': missing array 'shape'");
    if (offsets == entry.end() || !offsets->is_array() || offsets->size() != 2) {
      fail("tensor '", name, "': 'data_offsets' must be [begin, end]");
    }
    StTensor t;
    t.name = name;
    t.dtype = parse_dtype(dtype->get<std::string>(), name);
    uint64_t elements = 1;
    for (const auto& d : *shape) {
      if (!d.is_number_unsigned()) fail("tensor '", name, "': shape entries must be non-negative integers");
      const uint64_t v = d.get<uint64_t>();
      if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ||
          (v != 0 && elements > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / v)) {
        fail("tensor '", name, "': shape overflows");
      }
      elements *= v;
      t.shape.push_back(static_cast<int64_t>(v));
    }
    for (const auto& o : *offsets) {
      if (!o.is_number_unsigned()) fail("tensor '", name, "': data_offsets must be non-negative integers");
    }
    const uint64_t begin = (*offsets)[0].get<uint64_t>();
    const uint64_t end = (*offsets)[1].get<uint64_t>();
    if (begin > end || end > data_size) {
      fail("tensor '", name, "': data_offsets [", begin, ", ", end, "] lie outside the ", data_size, "-byte data section");
    }
    const size_t esize = dtype_size(t.dtype);
    if (elements > std::numeric_limits<uint64_t>::max() / esize || elements * esize != end - begin) {
      fail("tensor '", name, "': shape needs ", elements, " x ", esize, " bytes but data_offsets span ", end - begin);
    }
    t.data = bytes_.data() + data_start + begin;
    t.nbytes = end - begin;
    tensors_.push_back(std::move(t));
  }
  std::sort(tensors_.begin(), tensors_.end(), [](const StTensor& a, const StTensor& b) {
    return a.data != b.data ? a.data < b.data : a.name < b.name;
  });
  for (size_t i = 1; i < tensors_.size(); ++i) {
    const StTensor& prev = tensors_[i - 1];
    if (tensors_[i].data < prev.data + prev.nbytes) {
      fail("tensors '", prev.name, "' and '", tensors_[i].name, "' overlap");
    }
  }
  for (size_t i = 0; i < tensors_.size(); ++i) index_.emplace(tensors_[i].name, i);
}

const StTensor* SafetensorsFile::tensor(std::string_view name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

std::vector<float> to_f32(const StTensor& t) {
  const auto n = static_cast<size_t>(t.n_elements());
  std::vector<float> out(n);
  switch (t.dtype) {
    case StDtype::F32:
      std::memcpy(out.data(), t.data, n * 4);
      break;
    case StDtype::F64:
      for (size_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, t.data + i * 8, 8);
        out[i] = static_cast<float>(v);
      }
      break;
    case StDtype::F16:
    case StDtype::BF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, t.data + i * 2, 2);
        out[i] = t.dtype == StDtype::F16 ? quant::fp16_to_fp32(h) : quant::bf16_to_fp32(h);
      }
      break;
    default:
      fail("tensor '", t.name, "': dtype ", dtype_name(t.dtype), " is not a floating-point type");
  }
  return out;
}

}  // namespace pagoda::convert
