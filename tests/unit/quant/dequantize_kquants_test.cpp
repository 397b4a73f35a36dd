// Hand-built K-quant super-blocks (256 elements). Each test fills a block
// byte by byte, then checks
//  * spot values derived by hand in the comments, covering every
//    sub-block's scale (and min), sign handling and the high bits, and
//  * all 256 values against a per-element decoding written here from the
//    format description (element index -> byte, shift, scale), which walks
//    the layout differently from the implementation's storage-order loops.
#include <gtest/gtest.h>

#include <vector>

#include "quant/dequantize.h"
#include "quant/half.h"
#include "quant_test_util.h"

namespace pagoda::quant {
namespace {

using testing::Bytes;
using testing::dequantize_bytes;
using testing::put_u16;

struct Spot {
  int element;
  float value;
};

void expect_spots(const std::vector<float>& y, const std::vector<Spot>& spots) {
  for (const Spot& s : spots) EXPECT_EQ(y.at(s.element), s.value) << "element " << s.element;
}

// 2-bit field of element e in a Q2_K/Q3_K qs array (64 bytes): half h =
// e/128 uses bytes 32h..32h+31, byte e%32 of it, bits 2*((e%128)/32).
int q2_field(const uint8_t* qs, int e) {
  return (qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
}

// The qs pattern shared by the Q2_K and Q3_K blocks: 0xE4 = fields
// (shift 0, 2, 4, 6) = (0, 1, 2, 3); byte 0 is 0x1B = (3, 2, 1, 0) and byte
// 63 is 0xFF = (3, 3, 3, 3).
void fill_q2_qs(uint8_t* qs) {
  for (int i = 0; i < 64; ++i) qs[i] = 0xE4;
  qs[0] = 0x1B;
  qs[63] = 0xFF;
}

// ---- Q2_K: scales[16] | qs[64] | d | dmin (84 bytes) ----
// value = d * (scales[e/16] & 0xF) * q - dmin * (scales[e/16] >> 4).
TEST(DequantizeKQuantTest, Q2_K) {
  Bytes b(84);
  // Sub-block i: scale i, min 15 - i: byte i = i | (15 - i) << 4.
  for (int i = 0; i < 16; ++i) b[i] = static_cast<uint8_t>(i | (15 - i) << 4);
  fill_q2_qs(&b[16]);
  put_u16(b, 80, 0x3800);  // d = 0.5
  put_u16(b, 82, 0x3400);  // dmin = 0.25
  const std::vector<float> y = dequantize_bytes(TensorType::Q2_K, b);

  expect_spots(y, {
      // e0: sub 0 (scale 0, min 15), qs[0]=0x1B field 0 = 3: 0.5*0*3 - 0.25*15
      {0, -3.75f},
      // e17: sub 1 (1, 14), qs[17] field 0 = 0: 0 - 0.25*14
      {17, -3.5f},
      // e63: sub 3 (3, 12), qs[31] field 1 = 1: 0.5*3*1 - 3
      {63, -1.5f},
      // e66: sub 4 (4, 11), qs[2] field 2 = 2: 0.5*4*2 - 2.75
      {66, 1.25f},
      // e116: sub 7 (7, 8), qs[20] field 3 = 3: 0.5*7*3 - 2
      {116, 8.5f},
      // e128: sub 8 (8, 7), second half: qs[32] field 0 = 0: -1.75
      {128, -1.75f},
      // e195: sub 12 (12, 3), qs[35] field 2 = 2: 0.5*12*2 - 0.75
      {195, 11.25f},
      // e255: sub 15 (15, 0), qs[63]=0xFF field 3 = 3: 0.5*15*3 - 0
      {255, 22.5f},
  });
  const float d = 0.5f, dmin = 0.25f;
  for (int e = 0; e < 256; ++e) {
    const int sc = b[e / 16];
    const float expected = d * (sc & 0xF) * q2_field(&b[16], e) - dmin * (sc >> 4);
    EXPECT_EQ(y[e], expected) << "element " << e;
  }
}

// ---- Q3_K: hmask[32] | qs[64] | scales[12] | d (110 bytes) ----
// value = d * (sc[e/16] - 32) * (q - (hbit ? 0 : 4)), hbit = bit
// (e/32) of hmask[e%32].
//
// The 16 6-bit scales chosen (raw, minus 32 in brackets), with their low
// nibble and high 2 bits:
//   s0=33 (1)   lo 1  hi 2 | s8=40 (8)    lo 8  hi 2
//   s1=31 (-1)  lo 15 hi 1 | s9=24 (-8)   lo 8  hi 1
//   s2=0 (-32)  lo 0  hi 0 | s10=5 (-27)  lo 5  hi 0
//   s3=63 (31)  lo 15 hi 3 | s11=60 (28)  lo 12 hi 3
//   s4=34 (2)   lo 2  hi 2 | s12=33 (1)   lo 1  hi 2
//   s5=30 (-2)  lo 14 hi 1 | s13=31 (-1)  lo 15 hi 1
//   s6=16 (-16) lo 0  hi 1 | s14=47 (15)  lo 15 hi 2
//   s7=48 (16)  lo 0  hi 3 | s15=17 (-15) lo 1  hi 1
// Packed: byte k (k < 8) = lo(s_k) | lo(s_{k+8}) << 4;
// byte 8+m = hi(s_m) | hi(s_{m+4}) << 2 | hi(s_{m+8}) << 4 | hi(s_{m+12}) << 6.
const uint8_t kQ3Scales[12] = {
    0x81, 0x8F, 0x50, 0xCF, 0x12, 0xFE, 0xF0, 0x10,
    0xAA,  // m=0: 2 | 2<<2 | 2<<4 | 2<<6
    0x55,  // m=1: 1 | 1<<2 | 1<<4 | 1<<6
    0x84,  // m=2: 0 | 1<<2 | 0<<4 | 2<<6
    0x7F,  // m=3: 3 | 3<<2 | 3<<4 | 1<<6
};
const int kQ3ScaleValues[16] = {1, -1, -32, 31, 2, -2, -16, 16, 8, -8, -27, 28, 1, -1, 15, -15};

TEST(DequantizeKQuantTest, Q3_K) {
  Bytes b(110);
  // hmask: l < 16 -> 0x0F (high bit set in the first half, elements
  // 32g + l for g < 4), l >= 16 -> 0xF0 (set in the second half);
  // hmask[0] = 0x00 and hmask[31] = 0xFF.
  for (int l = 0; l < 32; ++l) b[l] = l < 16 ? 0x0F : 0xF0;
  b[0] = 0x00;
  b[31] = 0xFF;
  fill_q2_qs(&b[32]);
  for (int i = 0; i < 12; ++i) b[96 + i] = kQ3Scales[i];
  put_u16(b, 108, 0x3800);  // d = 0.5
  const std::vector<float> y = dequantize_bytes(TensorType::Q3_K, b);

  expect_spots(y, {
      // One element per sub-block s (= e/16):
      // s0 e0: q=3 (qs[0]=0x1B), hmask[0] bit0 clear -> 3-4=-1: 0.5*1*-1
      {0, -0.5f},
      // s1 e17: q=0, hmask[17]=0xF0 bit0 clear -> -4: 0.5*-1*-4
      {17, 2.0f},
      // s2 e37: qs[5] field1 = 1, hmask[5]=0x0F bit1 set -> 1: 0.5*-32*1
      {37, -16.0f},
      // s3 e63: qs[31] field1 = 1, hmask[31]=0xFF bit1 -> 1: 0.5*31
      {63, 15.5f},
      // s4 e66: qs[2] field2 = 2, hmask[2] bit2 set -> 2: 0.5*2*2
      {66, 2.0f},
      // s5 e80: qs[16] field2 = 2, hmask[16]=0xF0 bit2 clear -> -2: 0.5*-2*-2
      {80, 2.0f},
      // s6 e97: qs[1] field3 = 3, hmask[1]=0x0F bit3 set -> 3: 0.5*-16*3
      {97, -24.0f},
      // s7 e116: qs[20] field3 = 3, hmask[20]=0xF0 bit3 clear -> -1: 0.5*16*-1
      {116, -8.0f},
      // s8 e128: qs[32] field0 = 0, hmask[0] bit4 clear -> -4: 0.5*8*-4
      {128, -16.0f},
      // s9 e159: qs[63]=0xFF field0 = 3, hmask[31] bit4 set -> 3: 0.5*-8*3
      {159, -12.0f},
      // s10 e161: qs[33] field1 = 1, hmask[1]=0x0F bit5 clear -> -3: 0.5*-27*-3
      {161, 40.5f},
      // s11 e176: qs[48] field1 = 1, hmask[16]=0xF0 bit5 set -> 1: 0.5*28
      {176, 14.0f},
      // s12 e195: qs[35] field2 = 2, hmask[3]=0x0F bit6 clear -> -2: 0.5*1*-2
      {195, -1.0f},
      // s13 e213: qs[53] field2 = 2, hmask[21]=0xF0 bit6 set -> 2: 0.5*-1*2
      {213, -1.0f},
      // s14 e224: qs[32] field3 = 3, hmask[0] bit7 clear -> -1: 0.5*15*-1
      {224, -7.5f},
      // s15 e255: qs[63] field3 = 3, hmask[31] bit7 set -> 3: 0.5*-15*3
      {255, -22.5f},
  });
  for (int e = 0; e < 256; ++e) {
    const int hbit = (b[e % 32] >> (e / 32)) & 1;
    const int q = q2_field(&b[32], e) - (hbit ? 0 : 4);
    EXPECT_EQ(y[e], 0.5f * kQ3ScaleValues[e / 16] * q) << "element " << e;
  }
}

// ---- Q4_K / Q5_K shared 6-bit scales and mins of the 8 sub-blocks ----
//   j:      0   1   2   3   4   5   6   7
//   scale:  1  17  33  63   5  20  40  63
//   min:    2   3  48   0   7  33  18  61
// Bytes 0..3: scale_j (j<4) | (scale_{j+4} >> 4) << 6
//   0x01 = 1 | 0<<6; 0x51 = 17 | 1<<6; 0xA1 = 33 | 2<<6; 0xFF = 63 | 3<<6
// Bytes 4..7: min_j (j<4) | (min_{j+4} >> 4) << 6
//   0x02 = 2 | 0<<6; 0x83 = 3 | 2<<6; 0x70 = 48 | 1<<6; 0xC0 = 0 | 3<<6
// Bytes 8..11: (scale_{j+4} & 0xF) | (min_{j+4} & 0xF) << 4
//   0x75 = 5 | 7<<4; 0x14 = 4 | 1<<4; 0x28 = 8 | 2<<4; 0xDF = 15 | 13<<4
const uint8_t kK4Scales[12] = {0x01, 0x51, 0xA1, 0xFF, 0x02, 0x83, 0x70, 0xC0,
                               0x75, 0x14, 0x28, 0xDF};
const int kK4Scale[8] = {1, 17, 33, 63, 5, 20, 40, 63};
const int kK4Min[8] = {2, 3, 48, 0, 7, 33, 18, 61};

// Q4_K/Q5_K qs: byte i = (i%32 % 16) | (15 - i%32 % 16) << 4, so for element
// e (chunk k = e/64, l = e%32) the nibble is l%16 if e%64 < 32 (low) and
// 15 - l%16 otherwise (high).
void fill_k4_qs(uint8_t* qs) {
  for (int i = 0; i < 128; ++i) {
    const int l = i % 32 % 16;
    qs[i] = static_cast<uint8_t>(l | (15 - l) << 4);
  }
}

int k4_nibble(const uint8_t* qs, int e) {
  const uint8_t byte = qs[32 * (e / 64) + e % 32];
  return e % 64 < 32 ? (byte & 0xF) : (byte >> 4);
}

// value = d * scale[e/32] * q - dmin * min[e/32], d = 0.5, dmin = 0.25.
TEST(DequantizeKQuantTest, Q4_K) {
  Bytes b(144);
  put_u16(b, 0, 0x3800);  // d = 0.5
  put_u16(b, 2, 0x3400);  // dmin = 0.25
  for (int i = 0; i < 12; ++i) b[4 + i] = kK4Scales[i];
  fill_k4_qs(&b[16]);
  const std::vector<float> y = dequantize_bytes(TensorType::Q4_K, b);

  expect_spots(y, {
      // sub 0 e0: low nibble 0: 0.5*1*0 - 0.25*2
      {0, -0.5f},
      // sub 1 e33: high nibble of qs[1] = 14: 0.5*17*14 - 0.25*3 = 119 - 0.75
      {33, 118.25f},
      // sub 2 e69: low nibble of qs[37] = 5: 0.5*33*5 - 0.25*48 = 82.5 - 12
      {69, 70.5f},
      // sub 3 e96: high nibble of qs[32] = 15: 0.5*63*15 - 0
      {96, 472.5f},
      // sub 4 e135: low nibble 7: 0.5*5*7 - 0.25*7 = 17.5 - 1.75
      {135, 15.75f},
      // sub 5 e162: high nibble of qs[66] = 15-2 = 13: 130 - 0.25*33
      {162, 121.75f},
      // sub 6 e223: low nibble of qs[127] = 15: 0.5*40*15 - 0.25*18 = 300 - 4.5
      {223, 295.5f},
      // sub 7 e240: high nibble of qs[112] = 15: 472.5 - 0.25*61
      {240, 457.25f},
      // sub 7 e255: high nibble of qs[127] = 0: 0 - 15.25
      {255, -15.25f},
  });
  for (int e = 0; e < 256; ++e) {
    const int s = e / 32;
    const float expected = 0.5f * kK4Scale[s] * k4_nibble(&b[16], e) - 0.25f * kK4Min[s];
    EXPECT_EQ(y[e], expected) << "element " << e;
  }
}

// Q5_K: as Q4_K plus qh[32]: 5th bit of element e is bit e/32 of qh[e%32].
// qh[l] = 0x55 (subs 0,2,4,6) for l < 16, 0xAA (subs 1,3,5,7) for l >= 16;
// qh[0] = 0xFF, qh[31] = 0x00.
TEST(DequantizeKQuantTest, Q5_K) {
  Bytes b(176);
  put_u16(b, 0, 0x3800);  // d = 0.5
  put_u16(b, 2, 0x3400);  // dmin = 0.25
  for (int i = 0; i < 12; ++i) b[4 + i] = kK4Scales[i];
  for (int l = 0; l < 32; ++l) b[16 + l] = l < 16 ? 0x55 : 0xAA;
  b[16] = 0xFF;
  b[16 + 31] = 0x00;
  fill_k4_qs(&b[48]);
  const std::vector<float> y = dequantize_bytes(TensorType::Q5_K, b);

  expect_spots(y, {
      // sub 0 e0: nibble 0, qh[0] bit0 set -> 16: 0.5*1*16 - 0.5
      {0, 7.5f},
      // sub 1 e33: nibble 14, qh[1]=0x55 bit1 clear -> 14: 119 - 0.75
      {33, 118.25f},
      // sub 1 e49: nibble 15-1 = 14, qh[17]=0xAA bit1 set -> 30: 255 - 0.75
      {49, 254.25f},
      // sub 2 e69: nibble 5, qh[5]=0x55 bit2 set -> 21: 0.5*33*21 - 12 = 346.5 - 12
      {69, 334.5f},
      // sub 3 e96: nibble 15, qh[0]=0xFF bit3 -> 31: 0.5*63*31 - 0
      {96, 976.5f},
      // sub 4 e135: nibble 7, qh[7]=0x55 bit4 set -> 23: 57.5 - 1.75
      {135, 55.75f},
      // sub 5 e162: nibble 13, qh[2]=0x55 bit5 clear -> 13: 130 - 8.25
      {162, 121.75f},
      // sub 6 e223: nibble 15, qh[31]=0x00 -> 15: 300 - 4.5
      {223, 295.5f},
      // sub 7 e240: nibble 15, qh[16]=0xAA bit7 set -> 31: 976.5 - 15.25
      {240, 961.25f},
      // sub 7 e255: nibble 0, qh[31]=0x00 -> 0: -15.25
      {255, -15.25f},
  });
  for (int e = 0; e < 256; ++e) {
    const int s = e / 32;
    const int q = k4_nibble(&b[48], e) | (((b[16 + e % 32] >> s) & 1) << 4);
    EXPECT_EQ(y[e], 0.5f * kK4Scale[s] * q - 0.25f * kK4Min[s]) << "element " << e;
  }
}

// ---- Q6_K: ql[128] | qh[64] | scales[16] (int8) | d (210 bytes) ----
// value = d * scales[e/16] * (q - 32), q = 4 low bits | 2 high bits << 4.
// Element e: h = e/128, t = (e%128)/32, l = e%32; low bits from
// ql[64h + 32(t&1) + l] (low nibble if t < 2, else high); high bits
// (qh[32h + l] >> 2t) & 3.
const int8_t kQ6Scales[16] = {1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 127, -128};

TEST(DequantizeKQuantTest, Q6_K) {
  Bytes b(210);
  for (int i = 0; i < 128; ++i) b[i] = static_cast<uint8_t>(i);  // ql[i] = i
  // qh = 0xE4: high bits (t=0..3) = (0, 1, 2, 3); qh[0] = 0x1B: (3, 2, 1, 0);
  // qh[63] = 0x00.
  for (int i = 0; i < 64; ++i) b[128 + i] = 0xE4;
  b[128] = 0x1B;
  b[128 + 63] = 0x00;
  for (int i = 0; i < 16; ++i) b[192 + i] = static_cast<uint8_t>(kQ6Scales[i]);
  put_u16(b, 208, 0x3800);  // d = 0.5
  const std::vector<float> y = dequantize_bytes(TensorType::Q6_K, b);

  expect_spots(y, {
      // e0 (scale 1): ql[0] low 0, qh[0] bits0-1 = 3 -> 48 - 32 = 16: 0.5*1*16
      {0, 8.0f},
      // e1 (scale 1): ql[1] low 1, qh[1] bits0-1 = 0 -> 1 - 32 = -31
      {1, -15.5f},
      // e40 (scale 2): t=1, ql[40]=0x28 low 8, qh[8] bits2-3 = 1 -> 24-32 = -8
      {40, -8.0f},
      // e81 (scale -3): t=2, ql[17]=0x11 high 1, qh[17] bits4-5 = 2 -> 33-32 = 1
      {81, -1.5f},
      // e127 (scale -4): t=3, ql[63]=0x3F high 3, qh[31] bits6-7 = 3 -> 51-32 = 19
      {127, -38.0f},
      // e128 (scale 5): h=1, ql[64]=0x40 low 0, qh[32] bits0-1 = 0 -> -32
      {128, -80.0f},
      // e224 (scale 127): t=3, ql[96]=0x60 high 6, qh[32] bits6-7 = 3 -> 54-32 = 22
      {224, 1397.0f},
      // e240 (scale -128): ql[112]=0x70 high 7, qh[48] bits6-7 = 3 -> 55-32 = 23
      {240, -1472.0f},
      // e255 (scale -128): ql[127]=0x7F high 7, qh[63]=0 -> 7-32 = -25
      {255, 1600.0f},
  });
  for (int e = 0; e < 256; ++e) {
    const int h = e / 128, t = (e % 128) / 32, l = e % 32;
    const uint8_t low_byte = b[64 * h + 32 * (t & 1) + l];
    const int low = t < 2 ? (low_byte & 0xF) : (low_byte >> 4);
    const int high = (b[128 + 32 * h + l] >> (2 * t)) & 3;
    EXPECT_EQ(y[e], 0.5f * kQ6Scales[e / 16] * ((low | high << 4) - 32)) << "element " << e;
  }
}

// Two super-blocks in a row: the second must be read at offset block_bytes
// with its own d. A Q4_K block of all-zero quants decodes to -dmin * min.
TEST(DequantizeKQuantTest, RowOfTwoSuperBlocks) {
  Bytes b(2 * 144);
  for (int blk = 0; blk < 2; ++blk) {
    put_u16(b, 144 * blk + 2, blk == 0 ? 0x3C00 : 0x4000);  // dmin 1, then 2
    for (int i = 0; i < 12; ++i) b[144 * blk + 4 + i] = kK4Scales[i];
  }
  const std::vector<float> y = dequantize_bytes(TensorType::Q4_K, b);
  ASSERT_EQ(y.size(), 512u);
  for (int e = 0; e < 512; ++e) {
    const float dmin = e < 256 ? 1.0f : 2.0f;
    EXPECT_EQ(y[e], -dmin * kK4Min[e % 256 / 32]) << "element " << e;
  }
}

}  // namespace
}  // namespace pagoda::quant
