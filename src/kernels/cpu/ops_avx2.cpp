// AVX2 versions of the element-wise operations that are worth one: SiLU's
// exponential is most of its cost, and libm's expf is scalar.
#include <immintrin.h>

#include <cmath>
#include <cstdint>

#include "kernels/cpu/vec_math_avx2.h"

namespace pagoda::kernels::cpu {

void silu_mul_avx2(float* gate, const float* up, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = _mm256_loadu_ps(gate + i);
    const __m256 e = exp_avx2(_mm256_sub_ps(_mm256_setzero_ps(), g));
    _mm256_storeu_ps(gate + i,
                     _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), _mm256_loadu_ps(up + i)));
  }
  for (; i < n; ++i) gate[i] = gate[i] / (1.0f + exp_avx2(-gate[i])) * up[i];
}

}  // namespace pagoda::kernels::cpu
