#pragma once
// Builds safetensors images and Hugging Face checkpoint directories for the
// converter tests.
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "quant/half.h"

namespace pagoda::testing {

class SafetensorsBuilder {
 public:
  // dtype: "F32", "F16" or "BF16"; values are encoded into it.
  SafetensorsBuilder& add(const std::string& name, const std::string& dtype, std::vector<int64_t> shape,
                          const std::vector<float>& values) {
    std::vector<uint8_t> bytes;
    for (float v : values) {
      if (dtype == "F32") {
        uint8_t b[4];
        std::memcpy(b, &v, 4);
        bytes.insert(bytes.end(), b, b + 4);
      } else {
        const uint16_t h = dtype == "F16" ? quant::fp32_to_fp16(v) : quant::fp32_to_bf16(v);
        bytes.push_back(static_cast<uint8_t>(h & 0xff));
        bytes.push_back(static_cast<uint8_t>(h >> 8));
      }
    }
    header_[name] = {{"dtype", dtype}, {"shape", shape}, {"data_offsets", {data_.size(), data_.size() + bytes.size()}}};
    data_.insert(data_.end(), bytes.begin(), bytes.end());
    return *this;
  }

  nlohmann::json& header() { return header_; }

  std::vector<uint8_t> bytes() const { return image(header_.dump(), data_); }

  static std::vector<uint8_t> image(const std::string& header, const std::vector<uint8_t>& data) {
    std::string image(8, '\0');
    const uint64_t n = header.size();
    for (int i = 0; i < 8; ++i) image[static_cast<size_t>(i)] = static_cast<char>(n >> (8 * i));
    image += header;
    image.append(reinterpret_cast<const char*>(data.data()), data.size());
    return std::vector<uint8_t>(image.begin(), image.end());
  }

  void write(const std::filesystem::path& path) const {
    const auto b = bytes();
    std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  }

 private:
  nlohmann::json header_ = nlohmann::json::object();
  std::vector<uint8_t> data_;
};

inline void write_json(const std::filesystem::path& path, const nlohmann::json& j) { std::ofstream(path) << j.dump(2); }

}  // namespace pagoda::testing
