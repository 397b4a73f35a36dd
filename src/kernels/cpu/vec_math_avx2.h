#pragma once
// Vector math for the AVX2 (and AVX-512) kernel files. Internal linkage on
// purpose: each per-ISA file gets its own copy compiled with its own flags
// (see dot_kernels.h).
#include <immintrin.h>

namespace pagoda::kernels::cpu {
namespace {

// e^x, 8 lanes, for x in [-87, 88] (clamped to it; below -87 the result is
// 0, which is what softmax weights and SiLU want there): x = n ln2 + f with
// |f| <= ln2/2, e^f by a degree-6 polynomial (relative error about 2e-7),
// 2^n through the exponent bits.
inline __m256 exp_avx2(__m256 x) {
  const __m256 underflow = _mm256_cmp_ps(x, _mm256_set1_ps(-87.0f), _CMP_LT_OQ);
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(88.0f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 f = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);  // ln2 in two parts: n * hi is exact
  f = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), f);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
  const __m256i pow2n =
      _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, _mm256_castsi256_ps(pow2n)));
}

inline float exp_avx2(float x) {
  return _mm256_cvtss_f32(exp_avx2(_mm256_set1_ps(x)));
}

}  // namespace
}  // namespace pagoda::kernels::cpu
