#pragma once
// A 16 x 16 transpose of 32-bit elements in AVX-512 registers, for the
// AVX-512 translation units only (internal linkage: each one compiles its
// own copy with its own flags).
#include <immintrin.h>

namespace pagoda::kernels::cpu {
namespace {

// out[j] = column j of the 16 x 16 block in[0..15] (four shuffle stages).
[[maybe_unused]] inline void transpose16(const __m512 in[16], __m512 out[16]) {
  __m512 t[16], u[16];
  for (int k = 0; k < 8; ++k) {
    t[2 * k] = _mm512_unpacklo_ps(in[2 * k], in[2 * k + 1]);
    t[2 * k + 1] = _mm512_unpackhi_ps(in[2 * k], in[2 * k + 1]);
  }
  // u[4m + c], 128-bit lane L: column 4L + c of rows 4m..4m+3.
  for (int m = 0; m < 4; ++m) {
    const __m512d a = _mm512_castps_pd(t[4 * m]), b = _mm512_castps_pd(t[4 * m + 2]);
    const __m512d c = _mm512_castps_pd(t[4 * m + 1]), d = _mm512_castps_pd(t[4 * m + 3]);
    u[4 * m] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
    u[4 * m + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    u[4 * m + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
    u[4 * m + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
  }
  // Transpose the 4 x 4 grid of 128-bit lanes for each c.
  for (int c = 0; c < 4; ++c) {
    const __m512 x0 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0x44);
    const __m512 x1 = _mm512_shuffle_f32x4(u[c], u[4 + c], 0xEE);
    const __m512 x2 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0x44);
    const __m512 x3 = _mm512_shuffle_f32x4(u[8 + c], u[12 + c], 0xEE);
    out[c] = _mm512_shuffle_f32x4(x0, x2, 0x88);
    out[4 + c] = _mm512_shuffle_f32x4(x0, x2, 0xDD);
    out[8 + c] = _mm512_shuffle_f32x4(x1, x3, 0x88);
    out[12 + c] = _mm512_shuffle_f32x4(x1, x3, 0xDD);
  }
}

}  // namespace
}  // namespace pagoda::kernels::cpu
