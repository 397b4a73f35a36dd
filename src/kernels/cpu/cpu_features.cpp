#include "kernels/cpu_features.h"

#include <cstdlib>
#include <string>

namespace pagoda::kernels {
namespace {

CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.f16c = __builtin_cpu_supports("f16c");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512vnni = __builtin_cpu_supports("avx512vnni");
  f.avx512bf16 = __builtin_cpu_supports("avx512bf16");
  f.avxvnni = __builtin_cpu_supports("avxvnni");
#endif
  return f;
}

CpuPath detect_best_path() {
  const CpuFeatures& f = cpu_features();
  CpuPath best = CpuPath::Reference;
  if (f.avx2 && f.fma && f.f16c) best = CpuPath::Avx2;
  if (best == CpuPath::Avx2 && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni) best = CpuPath::Avx512;
  if (const char* cap = std::getenv("PAGODA_CPU_PATH")) {
    const std::string c = cap;
    if (c == "reference" || c == "scalar") best = CpuPath::Reference;
    if (c == "avx2" && best == CpuPath::Avx512) best = CpuPath::Avx2;
  }
  return best;
}

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

std::string cpu_features_string() {
  const CpuFeatures& f = cpu_features();
  std::string s;
  const auto add = [&](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ' ';
    s += name;
  };
  add(f.avx2, "avx2");
  add(f.fma, "fma");
  add(f.f16c, "f16c");
  add(f.avx512f, "avx512f");
  add(f.avx512bw, "avx512bw");
  add(f.avx512vl, "avx512vl");
  add(f.avx512vnni, "avx512vnni");
  add(f.avx512bf16, "avx512bf16");
  add(f.avxvnni, "avxvnni");
  return s.empty() ? "none" : s;
}

CpuPath best_cpu_path() {
  static const CpuPath path = detect_best_path();
  return path;
}

std::vector<CpuPath> supported_cpu_paths() {
  std::vector<CpuPath> paths = {CpuPath::Reference};
  const CpuFeatures& f = cpu_features();
  if (f.avx2 && f.fma && f.f16c) paths.push_back(CpuPath::Avx2);
  if (f.avx2 && f.fma && f.f16c && f.avx512f && f.avx512bw && f.avx512vl && f.avx512vnni) {
    paths.push_back(CpuPath::Avx512);
  }
  return paths;
}

const char* cpu_path_name(CpuPath path) {
  switch (path) {
    case CpuPath::Avx512: return "avx512";
    case CpuPath::Avx2: return "avx2";
    default: return "reference";
  }
}

}  // namespace pagoda::kernels
