#pragma once
// A Hugging Face checkpoint directory: config.json, the weights in one or
// more safetensors files (model.safetensors, or the shards that
// model.safetensors.index.json names), and the tokenizer files beside them.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "convert/safetensors.h"

namespace pagoda::convert {

class HfCheckpoint {
 public:
  // pagoda::Error naming the file for a missing config.json, no safetensors
  // (a PyTorch .bin checkpoint is named as such), a shard the index names
  // but that lacks the tensor, or a tensor present in two shards.
  static HfCheckpoint open(const std::filesystem::path& dir);
  // Only the tokenizer files (config.json optional, no weights): for
  // `pagoda convert --vocab-only`.
  static HfCheckpoint open_tokenizer_only(const std::filesystem::path& dir);

  const std::filesystem::path& dir() const { return dir_; }
  const nlohmann::json& config() const { return config_; }
  // A JSON file of the directory (tokenizer.json, tokenizer_config.json,
  // pagoda_tokenizer.json, ...); nullopt when absent.
  std::optional<nlohmann::json> json_file(std::string_view name) const;

  const StTensor* tensor(std::string_view name) const;  // nullptr when absent
  std::vector<const StTensor*> tensors() const;          // sorted by name

 private:
  std::filesystem::path dir_;
  nlohmann::json config_;
  std::vector<SafetensorsFile> shards_;
  std::map<std::string, const StTensor*, std::less<>> tensors_;
};

// Reads and parses a JSON file; pagoda::Error naming it on failure.
nlohmann::json read_json_file(const std::filesystem::path& path);

}  // namespace pagoda::convert
