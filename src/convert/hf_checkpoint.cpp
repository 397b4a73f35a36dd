#include "convert/hf_checkpoint.h"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "core/error.h"

namespace pagoda::convert {

namespace fs = std::filesystem;

nlohmann::json read_json_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path.string(), ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return nlohmann::json::parse(text.str());
  } catch (const nlohmann::json::exception& e) {
    fail(path.string(), ": not valid JSON: ", e.what());
  }
}

HfCheckpoint HfCheckpoint::open(const fs::path& dir) {
  if (!fs::is_directory(dir)) fail(dir.string(), ": not a directory (expected a Hugging Face checkpoint directory)");
  HfCheckpoint ck;
  ck.dir_ = dir;
  if (!fs::exists(dir / "config.json")) fail(dir.string(), ": no config.json");
  ck.config_ = read_json_file(dir / "config.json");
  if (!ck.config_.is_object()) fail((dir / "config.json").string(), ": not a JSON object");

  // The shard list: the index's files when there is one, else every
  // *.safetensors in the directory.
  std::vector<fs::path> files;
  std::map<std::string, std::string> weight_map;
  const fs::path index_path = dir / "model.safetensors.index.json";
  if (fs::exists(index_path)) {
    const nlohmann::json index = read_json_file(index_path);
    if (!index.contains("weight_map") || !index["weight_map"].is_object()) {
      fail(index_path.string(), ": no 'weight_map' object");
    }
    std::set<std::string> names;
    for (const auto& [tensor, file] : index["weight_map"].items()) {
      if (!file.is_string()) fail(index_path.string(), ": weight_map['", tensor, "'] is not a file name");
      const std::string f = file.get<std::string>();
      if (f.find('/') != std::string::npos || f == "..") fail(index_path.string(), ": shard name '", f, "' is not a plain file name");
      weight_map[tensor] = f;
      names.insert(f);
    }
    for (const auto& n : names) files.push_back(dir / n);
  } else {
    for (const auto& e : fs::directory_iterator(dir)) {
      if (e.is_regular_file() && e.path().extension() == ".safetensors") files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
  }
  if (files.empty()) {
    const bool has_bin = fs::exists(dir / "pytorch_model.bin") || fs::exists(dir / "pytorch_model.bin.index.json");
    fail(dir.string(), has_bin ? ": only PyTorch .bin weights found; convert them to safetensors first"
                               : ": no *.safetensors weights");
  }

  ck.shards_.reserve(files.size());
  for (const auto& f : files) {
    ck.shards_.push_back(SafetensorsFile::open(f.string()));
    for (const StTensor& t : ck.shards_.back().tensors()) {
      if (!ck.tensors_.emplace(t.name, &t).second) fail(f.string(), ": tensor '", t.name, "' is also in another shard");
    }
  }
  for (const auto& [tensor, file] : weight_map) {
    const StTensor* t = ck.tensor(tensor);
    if (t == nullptr) fail(index_path.string(), ": tensor '", tensor, "' is not in its shard ", file);
  }
  return ck;
}

HfCheckpoint HfCheckpoint::open_tokenizer_only(const fs::path& dir) {
  if (!fs::is_directory(dir)) fail(dir.string(), ": not a directory (expected a Hugging Face tokenizer directory)");
  HfCheckpoint ck;
  ck.dir_ = dir;
  ck.config_ = fs::exists(dir / "config.json") ? read_json_file(dir / "config.json") : nlohmann::json::object();
  return ck;
}

std::optional<nlohmann::json> HfCheckpoint::json_file(std::string_view name) const {
  const fs::path p = dir_ / name;
  if (!fs::exists(p)) return std::nullopt;
  return read_json_file(p);
}

const StTensor* HfCheckpoint::tensor(std::string_view name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : it->second;
}

std::vector<const StTensor*> HfCheckpoint::tensors() const {
  std::vector<const StTensor*> out;
  out.reserve(tensors_.size());
  for (const auto& [name, t] : tensors_) out.push_back(t);
  return out;
}

}  // namespace pagoda::convert
