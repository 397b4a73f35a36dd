// Prompt-processing GEMM for the K-quants on AVX-512 VNNI: "convert, then
// GEMM". 16 weight rows at a time are unpacked once into an 8-bit,
// row-interleaved panel in a thread-local buffer (quants as unsigned bytes,
// sub-block scales as int32, the offset terms as int16 pairs, super-block
// scales as floats), then every token runs through the panel with one
// weight row per 32-bit lane of a 512-bit register, as the packed Q4_0
// kernels do. The unpacking is paid once per 16 rows, not once per token.
//
// Per super-block and row, with integer sums over the token's Q8K
// activation q_a (scale d_a, group sums bsums):
//   Q4_K, Q5_K: d * sum_s sc_s * <q, q_a>_s  -  dmin * sum_s m_s * sum_s(q_a)
//   Q6_K: d * sum_s sc_s * <q, q_a>_s  -  32 d * sum_s sc_s * sum_s(q_a)
// both "d * main - dm * offset", where the offset is a sum over the 16
// bsums with per-row int16 coefficients (vpdpwssd), and the result is
// scaled by d_a. Integer sums are exact; only the final multiply-adds round.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // see dot_avx512.cpp
#pragma GCC diagnostic ignored "-Wuninitialized"
#include <immintrin.h>

#include <cstring>
#include <type_traits>
#include <vector>

#include "kernels/cpu/dot_kernels.h"
#include "kernels/cpu/transpose16_avx512.h"
#include "quant/blocks.h"

namespace pagoda::kernels::cpu {
namespace {

constexpr int kRows = 16;
constexpr int kChunks = 64;  // 4 elements each per super-block

// One super-block of a 16-row panel.
struct alignas(64) KPanel {
  uint8_t q[kChunks][kRows][4];  // chunk c: elements 4c..4c+3 of each row
  int32_t scale[16][kRows];      // sub-block scales (Q4_K: sub-blocks of 32 use entries 0..7)
  int16_t offset[8][kRows][2];   // coefficients of bsums[2p], bsums[2p+1]
  float d[kRows];                // multiplies the main sum
  float dm[kRows];               // multiplies the offset sum
};

float fp16(uint16_t h) {
  return _cvtsh_ss(h);
}

// Unpacked quants of one row's super-block: 256 bytes in element order,
// written into `rows_q` (row r at 256 r); then transposed to the panel's
// chunk-major layout, 16 x 16 four-byte chunks at a time: unpacks within
// 128-bit lanes leave 4 x 4 transposed blocks, two rounds of lane shuffles
// put them in place (64 operations per 16 x 16 instead of 256 loads and
// stores).
void transpose_quants(const uint8_t (*rows_q)[256], KPanel& p) {
  for (int cb = 0; cb < kChunks / 16; ++cb) {
    __m512i r[16], t[16], u[16];
    for (int i = 0; i < 16; ++i) r[i] = _mm512_load_si512(rows_q[i] + 64 * cb);
    for (int i = 0; i < 16; i += 2) {
      t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
      t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    // u[4g + k]: rows 4g..4g+3, chunks k, k+4, k+8, k+12 in lanes 0..3.
    for (int g = 0; g < 4; ++g) {
      u[4 * g + 0] = _mm512_unpacklo_epi64(t[4 * g], t[4 * g + 2]);
      u[4 * g + 1] = _mm512_unpackhi_epi64(t[4 * g], t[4 * g + 2]);
      u[4 * g + 2] = _mm512_unpacklo_epi64(t[4 * g + 1], t[4 * g + 3]);
      u[4 * g + 3] = _mm512_unpackhi_epi64(t[4 * g + 1], t[4 * g + 3]);
    }
    for (int k = 0; k < 4; ++k) {
      const __m512i v0 = _mm512_shuffle_i32x4(u[k], u[4 + k], 0x44),
                    v1 = _mm512_shuffle_i32x4(u[k], u[4 + k], 0xEE);
      const __m512i v2 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0x44);
      const __m512i v3 = _mm512_shuffle_i32x4(u[8 + k], u[12 + k], 0xEE);
      _mm512_store_si512(p.q[16 * cb + k], _mm512_shuffle_i32x4(v0, v2, 0x88));
      _mm512_store_si512(p.q[16 * cb + 4 + k], _mm512_shuffle_i32x4(v0, v2, 0xDD));
      _mm512_store_si512(p.q[16 * cb + 8 + k], _mm512_shuffle_i32x4(v1, v3, 0x88));
      _mm512_store_si512(p.q[16 * cb + 12 + k], _mm512_shuffle_i32x4(v1, v3, 0xDD));
    }
  }
}

// Q4_K, and Q5_K with its 5th bits: bit s of qh[l] for element 32 s + l.
template <typename Block>
void unpack_k4_family_row(const Block& b, uint8_t* q) {
  const __m256i mask = _mm256_set1_epi8(0x0F), one = _mm256_set1_epi8(1);
  for (int k = 0; k < 4; ++k) {
    const __m256i bytes = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qs + 32 * k));
    __m256i lo = _mm256_and_si256(bytes, mask), hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
    if constexpr (std::is_same_v<Block, quant::BlockQ5_K>) {
      const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh));
      lo = _mm256_or_si256(lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), one), 4));
      hi = _mm256_or_si256(hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * k + 1), one), 4));
    }
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + 64 * k), lo);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + 64 * k + 32), hi);
  }
}

void unpack_q6_k_row(const quant::BlockQ6_K& b, uint8_t* q) {
  const __m256i low4 = _mm256_set1_epi8(0x0F), low2 = _mm256_set1_epi8(0x03);
  for (int half = 0; half < 2; ++half) {
    const uint8_t* ql = b.ql + 64 * half;
    const __m256i l0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql));
    const __m256i l1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(ql + 32));
    const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b.qh + 32 * half));
    const __m256i lows[4] = {_mm256_and_si256(l0, low4), _mm256_and_si256(l1, low4),
                             _mm256_and_si256(_mm256_srli_epi16(l0, 4), low4),
                             _mm256_and_si256(_mm256_srli_epi16(l1, 4), low4)};
    for (int t = 0; t < 4; ++t) {
      const __m256i high = _mm256_and_si256(_mm256_srli_epi16(h, 2 * t), low2);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(q + 128 * half + 32 * t),
                          _mm256_or_si256(lows[t], _mm256_slli_epi16(high, 4)));
    }
  }
}

// A super-block's per-row coefficients, gathered row-major while the rows
// unpack and then transposed into the panel's one-row-per-lane layout:
// stored straight into the panel's columns they took a strided scalar store
// each (512 per Q6_K super-block), the larger part of the Q6_K output
// head's conversion in a 16-sequence decode step.
struct alignas(64) RowCoefficients {
  int32_t scale[kRows][16];   // as KPanel::scale, row-major
  int32_t offset[kRows][16];  // KPanel::offset's int16 pairs as dwords; entries 8..15 unused
};

void transpose_coefficients(const RowCoefficients& rc, KPanel& p) {
  __m512 in[16], out[16];
  for (int r = 0; r < kRows; ++r) in[r] = _mm512_castsi512_ps(_mm512_load_si512(rc.scale[r]));
  transpose16(in, out);
  for (int s = 0; s < 16; ++s) _mm512_store_si512(p.scale[s], _mm512_castps_si512(out[s]));
  for (int r = 0; r < kRows; ++r) in[r] = _mm512_castsi512_ps(_mm512_load_si512(rc.offset[r]));
  transpose16(in, out);
  for (int k = 0; k < 8; ++k) _mm512_store_si512(p.offset[k], _mm512_castps_si512(out[k]));
}

// Fills one 16-row super-block panel from the rows' blocks: rows past
// `rows` are zero (they contribute nothing and are not stored).
// unpack_row(block, q, rc, p, r) writes the row's 256 quants to q, its
// scales and offset coefficients into rc's row r and its d, dm into p.
template <typename Block, typename UnpackRow>
void convert_rows(const uint8_t* w, size_t row_bytes, int rows, int64_t blocks, KPanel* panels,
                  UnpackRow unpack_row) {
  alignas(64) uint8_t rows_q[kRows][256] = {};
  RowCoefficients rc = {};
  for (int64_t i = 0; i < blocks; ++i) {
    KPanel& p = panels[i];
    for (int r = rows; r < kRows; ++r) p.d[r] = p.dm[r] = 0.0f;
    for (int r = 0; r < rows; ++r) {
      unpack_row(reinterpret_cast<const Block*>(w + static_cast<size_t>(r) * row_bytes)[i], rows_q[r], rc, p, r);
    }
    transpose_quants(rows_q, p);
    transpose_coefficients(rc, p);
  }
}

template <typename Block>
void convert_k4_family(const uint8_t* w, size_t row_bytes, int rows, int64_t blocks, KPanel* panels) {
  convert_rows<Block>(w, row_bytes, rows, blocks, panels,
                      [](const Block& b, uint8_t* q, RowCoefficients& rc, KPanel& p, int r) {
                        unpack_k4_family_row(b, q);
                        p.d[r] = fp16(b.d);
                        p.dm[r] = fp16(b.dmin);
                        for (int j = 0; j < 8; ++j) {
                          const quant::ScaleMin sm = quant::scale_min_k4(b.scales, j);
                          rc.scale[r][j] = sm.scale;
                          // bsums 2j, 2j+1 lie in sub-block j: the min twice
                          const auto m = static_cast<uint32_t>(static_cast<uint16_t>(sm.min));
                          rc.offset[r][j] = static_cast<int32_t>(m | (m << 16));
                        }
                      });
}

void convert_q6_k(const uint8_t* w, size_t row_bytes, int rows, int64_t blocks, KPanel* panels) {
  convert_rows<quant::BlockQ6_K>(w, row_bytes, rows, blocks, panels,
                                 [](const quant::BlockQ6_K& b, uint8_t* q, RowCoefficients& rc, KPanel& p, int r) {
                                   unpack_q6_k_row(b, q);
                                   p.d[r] = fp16(b.d);
                                   p.dm[r] = 32.0f * p.d[r];  // exact: a power of two
                                   // The 16 sub-block scales, as int32 and as
                                   // the int16 pairs (2k, 2k + 1) of bsums.
                                   const __m128i s8 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b.scales));
                                   _mm512_store_si512(rc.scale[r], _mm512_cvtepi8_epi32(s8));
                                   _mm256_store_si256(reinterpret_cast<__m256i*>(rc.offset[r]), _mm256_cvtepi8_epi16(s8));
                                 });
}

inline __m512i broadcast4(const void* p) {
  int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

// N tokens (<= 8) through a converted panel; out is [N][16]. kSubChunks:
// chunks per sub-block (8 for Q4_K's 32 elements, 4 for Q6_K's 16).
template <int kSubChunks, int N>
void panel_tokens(const KPanel* panels, int64_t blocks, const uint8_t* act, size_t stride, float* out) {
  constexpr int kSubBlocks = kChunks / kSubChunks;
  const ActBlockQ8K* a[N];
  for (int j = 0; j < N; ++j) a[j] = reinterpret_cast<const ActBlockQ8K*>(act + j * stride);
  __m512 acc[N];
  for (int j = 0; j < N; ++j) acc[j] = _mm512_setzero_ps();
  for (int64_t i = 0; i < blocks; ++i) {
    const KPanel& p = panels[i];
    __m512i main[N];
    for (int j = 0; j < N; ++j) main[j] = _mm512_setzero_si512();
    for (int s = 0; s < kSubBlocks; ++s) {
      __m512i w[kSubChunks];
      for (int v = 0; v < kSubChunks; ++v) w[v] = _mm512_load_si512(p.q[s * kSubChunks + v]);
      const __m512i scale = _mm512_load_si512(p.scale[s]);
      for (int j = 0; j < N; ++j) {
        const int8_t* x = a[j][i].qs + 4 * kSubChunks * s;
        __m512i s0 = _mm512_setzero_si512(), s1 = _mm512_setzero_si512();
        for (int v = 0; v < kSubChunks; v += 2) {
          s0 = _mm512_dpbusd_epi32(s0, w[v], broadcast4(x + 4 * v));
          s1 = _mm512_dpbusd_epi32(s1, w[v + 1], broadcast4(x + 4 * v + 4));
        }
        main[j] = _mm512_add_epi32(main[j], _mm512_mullo_epi32(_mm512_add_epi32(s0, s1), scale));
      }
    }
    const __m512 d = _mm512_load_ps(p.d), dm = _mm512_load_ps(p.dm);
    for (int j = 0; j < N; ++j) {
      const ActBlockQ8K& x = a[j][i];
      __m512i offset = _mm512_setzero_si512();
      for (int k = 0; k < 8; ++k)
        offset = _mm512_dpwssd_epi32(offset, _mm512_load_si512(p.offset[k]), broadcast4(x.bsums + 2 * k));
      const __m512 total =
          _mm512_fmsub_ps(_mm512_cvtepi32_ps(main[j]), d, _mm512_mul_ps(_mm512_cvtepi32_ps(offset), dm));
      acc[j] = _mm512_fmadd_ps(total, _mm512_set1_ps(x.d), acc[j]);
    }
  }
  for (int j = 0; j < N; ++j) _mm512_storeu_ps(out + 16 * j, acc[j]);
}

using ConvertFn = void (*)(const uint8_t*, size_t, int, int64_t, KPanel*);
using TokensFn = void (*)(const KPanel*, int64_t, const uint8_t*, size_t, float*);

template <int kSubChunks>
constexpr TokensFn kTokens[kMaxPackedColumns] = {panel_tokens<kSubChunks, 1>, panel_tokens<kSubChunks, 2>,
                                                 panel_tokens<kSubChunks, 3>, panel_tokens<kSubChunks, 4>,
                                                 panel_tokens<kSubChunks, 5>, panel_tokens<kSubChunks, 6>,
                                                 panel_tokens<kSubChunks, 7>, panel_tokens<kSubChunks, 8>};

template <ConvertFn kConvert, int kSubChunks>
void panel16(int64_t n, const void* w, size_t row_bytes, int rows, const void* act, size_t stride,
             int64_t n_tokens, float* y, int64_t y_stride) {
  const int64_t blocks = n / 256;
  thread_local std::vector<KPanel> panels;
  if (panels.size() < static_cast<size_t>(blocks)) panels.resize(static_cast<size_t>(blocks));
  kConvert(static_cast<const uint8_t*>(w), row_bytes, rows, blocks, panels.data());
  const auto* a = static_cast<const uint8_t*>(act);
  float out[kMaxPackedColumns * kRows];
  for (int64_t t = 0; t < n_tokens; t += kMaxPackedColumns) {
    const int cols = static_cast<int>(n_tokens - t < kMaxPackedColumns ? n_tokens - t : kMaxPackedColumns);
    kTokens<kSubChunks>[cols - 1](panels.data(), blocks, a + static_cast<size_t>(t) * stride, stride, out);
    for (int j = 0; j < cols; ++j) {  // a constant size where it can (see dot_units)
      if (rows == kRows) std::memcpy(y + (t + j) * y_stride, out + kRows * j, kRows * sizeof(float));
      else std::memcpy(y + (t + j) * y_stride, out + kRows * j, static_cast<size_t>(rows) * sizeof(float));
    }
  }
}

}  // namespace

PanelFn panel16_avx512(quant::TensorType type) {
  switch (type) {
    case quant::TensorType::Q4_K:
      return panel16<convert_k4_family<quant::BlockQ4_K>, 8>;
    case quant::TensorType::Q5_K:
      return panel16<convert_k4_family<quant::BlockQ5_K>, 8>;
    case quant::TensorType::Q6_K:
      return panel16<convert_q6_k, 4>;
    default:
      return nullptr;
  }
}

}  // namespace pagoda::kernels::cpu
