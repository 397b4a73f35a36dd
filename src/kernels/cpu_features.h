#pragma once
// CPU features detected at run time; the kernels pick their path from these,
// never from compile-time flags, so one binary runs on every x86-64 CPU.
#include <string>
#include <vector>

namespace pagoda::kernels {

struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool f16c = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512vnni = false;
  bool avx512bf16 = false;
  bool avxvnni = false;
};

const CpuFeatures& cpu_features();

// The instruction-set paths of the CPU kernels, best last. Reference is the
// scalar ground truth and runs everywhere.
enum class CpuPath { Reference, Avx2, Avx512 };

CpuPath best_cpu_path();                      // for this CPU (PAGODA_CPU_PATH=reference|avx2 caps it)
std::vector<CpuPath> supported_cpu_paths();   // every path this CPU can run
const char* cpu_path_name(CpuPath path);
std::string cpu_features_string();  // e.g. "avx2 fma f16c avx512f ..."

}  // namespace pagoda::kernels
