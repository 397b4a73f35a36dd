// Scalar reference dequantization of the K-quants (256-element super-blocks;
// layouts in quant/blocks.h). The loops walk the blocks in storage order and
// keep the ecosystem's order of float operations (scale first, then times
// the quant, then minus the min), so results are bit-identical to it.
#include "quant/blocks.h"
#include "quant/half.h"
#include "quant/reference_rows.h"

namespace pagoda::quant {

ScaleMin scale_min_k4(const uint8_t (&q)[kKScaleSize], int j) {
  if (j < 4) return {q[j] & 63, q[j + 4] & 63};
  return {(q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4)};
}

}  // namespace pagoda::quant

namespace pagoda::quant::detail {
namespace {

// The 16 6-bit scales of Q3_K, unpacked and re-centred to -32..31. The low
// nibbles of scales 0..7 are the low nibbles of bytes 0..7, those of 8..15
// the high nibbles; byte 8 + (i % 4) holds the top 2 bits of scale i at bit
// 2 * (i / 4).
void unpack_q3_k_scales(const uint8_t (&packed)[kKScaleSize], int (&out)[16]) {
  for (int i = 0; i < 16; ++i) {
    const int low = i < 8 ? (packed[i] & 0x0F) : (packed[i - 8] >> 4);
    const int high = (packed[8 + i % 4] >> (2 * (i / 4))) & 3;
    out[i] = (low | (high << 4)) - 32;
  }
}

}  // namespace

void dequantize_q2_k(const uint8_t* src, float* dst, int64_t blocks) {
  for (int64_t i = 0; i < blocks; ++i) {
    const auto b = load_block<BlockQ2_K>(src, i);
    const float d = fp16_to_fp32(b.d);
    const float dmin = fp16_to_fp32(b.dmin);
    float* y = dst + i * kQK_K;
    int sub = 0;  // sub-block of 16 elements, 0..15, in output order
    // Each half of 128 elements uses 32 bytes of qs; its four 32-element
    // groups are the four 2-bit fields (shift 0, 2, 4, 6) of those bytes.
    for (int half = 0; half < 2; ++half) {
      const uint8_t* q = b.qs + 32 * half;
      for (int shift = 0; shift < 8; shift += 2) {
        for (int part = 0; part < 2; ++part, ++sub) {  // bytes 0..15, 16..31
          const float dl = d * (b.scales[sub] & 0x0F);
          const float ml = dmin * (b.scales[sub] >> 4);
          for (int l = 0; l < 16; ++l) *y++ = dl * ((q[16 * part + l] >> shift) & 3) - ml;
        }
      }
    }
  }
}

void dequantize_q3_k(const uint8_t* src, float* dst, int64_t blocks) {
  for (int64_t i = 0; i < blocks; ++i) {
    const auto b = load_block<BlockQ3_K>(src, i);
    const float d = fp16_to_fp32(b.d);
    int scales[16];
    unpack_q3_k_scales(b.scales, scales);
    float* y = dst + i * kQK_K;
    int sub = 0;
    // Low 2 bits as Q2_K. The high bits of all 256 elements share the 32
    // hmask bytes: element 32*g + l (g = 0..7 over the super-block) uses bit
    // g of hmask[l]. A clear high bit means "subtract 4" (q - 4 in -4..-1).
    uint8_t mask = 1;
    for (int half = 0; half < 2; ++half) {
      const uint8_t* q = b.qs + 32 * half;
      for (int shift = 0; shift < 8; shift += 2, mask = static_cast<uint8_t>(mask << 1)) {
        for (int part = 0; part < 2; ++part, ++sub) {
          const float dl = d * scales[sub];
          for (int l = 16 * part; l < 16 * part + 16; ++l) {
            const int low = (q[l] >> shift) & 3;
            *y++ = dl * (low - ((b.hmask[l] & mask) ? 0 : 4));
          }
        }
      }
    }
  }
}

namespace {

// Q4_K and Q5_K share everything but the 5th bit: four chunks of 64
// elements, each 32 bytes of qs whose low nibbles are the first 32 elements
// (sub-block 2k) and high nibbles the next 32 (2k+1). For Q5_K (qh given),
// the 5th bit of element 32*s + l (sub-block s) is bit s of qh[l].
void dequantize_k4_superblock(uint16_t d_half, uint16_t dmin_half, const uint8_t (&scales)[kKScaleSize],
                              const uint8_t* qs, const uint8_t* qh, float* y) {
  const float d = fp16_to_fp32(d_half);
  const float dmin = fp16_to_fp32(dmin_half);
  for (int k = 0; k < 4; ++k) {
    const uint8_t* q = qs + 32 * k;
    const ScaleMin lo = scale_min_k4(scales, 2 * k);
    const ScaleMin hi = scale_min_k4(scales, 2 * k + 1);
    const float d1 = d * lo.scale, m1 = dmin * lo.min;
    const float d2 = d * hi.scale, m2 = dmin * hi.min;
    const auto high_bit = [&](int l, int bit) { return qh ? ((qh[l] >> bit) & 1) << 4 : 0; };
    for (int l = 0; l < 32; ++l) *y++ = d1 * ((q[l] & 0x0F) + high_bit(l, 2 * k)) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * ((q[l] >> 4) + high_bit(l, 2 * k + 1)) - m2;
  }
}

}  // namespace

void dequantize_q4_k(const uint8_t* src, float* dst, int64_t blocks) {
  for (int64_t i = 0; i < blocks; ++i) {
    const auto b = load_block<BlockQ4_K>(src, i);
    dequantize_k4_superblock(b.d, b.dmin, b.scales, b.qs, nullptr, dst + i * kQK_K);
  }
}

void dequantize_q5_k(const uint8_t* src, float* dst, int64_t blocks) {
  for (int64_t i = 0; i < blocks; ++i) {
    const auto b = load_block<BlockQ5_K>(src, i);
    dequantize_k4_superblock(b.d, b.dmin, b.scales, b.qs, b.qh, dst + i * kQK_K);
  }
}

void dequantize_q6_k(const uint8_t* src, float* dst, int64_t blocks) {
  for (int64_t i = 0; i < blocks; ++i) {
    const auto b = load_block<BlockQ6_K>(src, i);
    const float d = fp16_to_fp32(b.d);
    float* y = dst + i * kQK_K;
    // Each half of 128 elements uses 64 bytes of ql, 32 of qh and 8 scales.
    // Byte l of the half's qh carries the top 2 bits of elements l, l+32,
    // l+64, l+96 (bits 0-1, 2-3, 4-5, 6-7); ql[l] low/high nibble gives the
    // low 4 bits of l / l+64, ql[l+32] those of l+32 / l+96.
    for (int half = 0; half < 2; ++half) {
      const uint8_t* ql = b.ql + 64 * half;
      const uint8_t* qh = b.qh + 32 * half;
      const int8_t* sc = b.scales + 8 * half;
      for (int l = 0; l < 32; ++l) {
        const int s = l / 16;  // scale index within each 32-element quarter
        const int q1 = ((ql[l] & 0x0F) | (((qh[l] >> 0) & 3) << 4)) - 32;
        const int q2 = ((ql[l + 32] & 0x0F) | (((qh[l] >> 2) & 3) << 4)) - 32;
        const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
        const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        y[l] = d * sc[s] * q1;
        y[l + 32] = d * sc[s + 2] * q2;
        y[l + 64] = d * sc[s + 4] * q3;
        y[l + 96] = d * sc[s + 6] * q4;
      }
      y += 128;
    }
  }
}

}  // namespace pagoda::quant::detail
