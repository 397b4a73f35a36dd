#pragma once
// Importance-matrix files (`pagoda imatrix` writes them, `pagoda quantize
// --imatrix` reads them): for each weight matrix, the mean squared value of
// each input column over the calibration text.
//
// Layout (little-endian):
//   8 bytes  magic "PGDIMX01"
//   u32      number of entries
//   entry:   u32 name length, the name (UTF-8, no terminator),
//            u64 rows observed, u32 columns, f32 mean_square[columns]
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "convert/quantize_model.h"

namespace pagoda::convert {

struct ImportanceEntry {
  uint64_t rows = 0;
  std::vector<float> mean_square;
};

void write_importance_file(const std::string& path, const std::map<std::string, ImportanceEntry>& entries);
// pagoda::Error naming the path for a foreign, truncated or inconsistent file.
ImportanceMatrix read_importance_file(const std::string& path);

}  // namespace pagoda::convert
