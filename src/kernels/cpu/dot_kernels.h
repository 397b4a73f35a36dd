#pragma once
// Internal to kernels/cpu: the per-type dot-product kernels behind matmul,
// one table per instruction set, and the activation formats they consume.
// NOTE: per-ISA files are compiled with their own -m flags; they must not
// define inline functions or templates visible to other files (the linker
// could pick an AVX-512 copy for a caller on an AVX2 machine), so everything
// in them lives in an anonymous namespace except the table getter.
#include <cstddef>
#include <cstdint>

#include "quant/tensor_type.h"

namespace pagoda::kernels::cpu {

// Activations are quantized once per matmul into these Pagoda-internal
// blocks (never stored in files). `qsum` lets weights with an offset (Q4_0's
// -8, Q4_1's min) fold it in once per block: in the integer sum where the
// offset is an integer (Q4_0, Q8_0 on VNNI), else times d.
struct ActBlockQ8 {
  float d;       // scale: x ~= d * qs
  int32_t qsum;  // sum(qs)
  int8_t qs[32];
};

struct ActBlockQ8K {
  float d;
  int16_t bsums[16];  // sums of qs over groups of 16
  int8_t qs[256];
};

static_assert(sizeof(ActBlockQ8) == 40);
static_assert(sizeof(ActBlockQ8K) == 292);

enum class ActFormat { F32, Q8, Q8K };

size_t act_row_bytes(ActFormat format, int64_t n);

// out[j] = <weight row w, activation row j> for j < n_act <= kMaxDotColumns;
// activation row j starts at act + j * act_stride bytes. n is the row length
// in elements (a multiple of the weight type's block size).
using DotFn = void (*)(int64_t n, const void* w, const void* act, size_t act_stride, int n_act, float* out);
using QuantizeActFn = void (*)(const float* x, void* out, int64_t n);

constexpr int kMaxDotColumns = 4;
constexpr int kMaxPackedColumns = 8;  // activation rows per call of a packed (dot8) kernel
// Activation rows per call of a two-group (dot16) kernel: 16 accumulators
// plus the 8 unpacked weight vectors fit AVX-512's 32 registers, and a
// 16-sequence decode step then reads and unpacks each weight block once.
constexpr int kMaxPairColumns = 16;

// Products of `rows` (<= 16) plain-layout weight rows (row_bytes apart)
// with n_tokens activation rows (stride apart), for prompt-sized batches:
// y[t * y_stride + r] for r < rows.
using PanelFn = void (*)(int64_t n, const void* w, size_t row_bytes, int rows, const void* act, size_t stride,
                         int64_t n_tokens, float* y, int64_t y_stride);

struct DotKernel {
  ActFormat format;
  DotFn dot;
  // On the packed layout (kernels/repack.h): w is one group of 8 rows,
  // n_act <= kMaxPackedColumns and out is [n_act][8]. nullptr when the type
  // has no packed kernel here.
  DotFn dot8;
  // Two consecutive packed groups at once (16 rows; the second group starts
  // (n / 32) group-blocks after w), n_act <= kMaxPairColumns, out is
  // [n_act][16]. nullptr where the ISA has none.
  DotFn dot16 = nullptr;
  // As dot16, prefetching the weights ahead: for the first pass over the
  // two groups, when they come from memory.
  DotFn dot16_first = nullptr;
  // Converts 16 rows at a time into an 8-bit panel, then runs all tokens
  // through it (cpu/panel_kquants_avx512.cpp). nullptr where the ISA has none.
  PanelFn panel16 = nullptr;
};

struct IsaKernels {
  const char* name;
  QuantizeActFn quantize_q8;   // F32 -> ActBlockQ8 blocks
  QuantizeActFn quantize_q8k;  // F32 -> ActBlockQ8K blocks
  // nullptr when this ISA has no kernel for the type (the caller falls back).
  const DotKernel* (*kernel)(quant::TensorType type);
};

// Scalar quantizers: the reference the SIMD ones are tested against.
void quantize_act_q8_ref(const float* x, void* out, int64_t n);
void quantize_act_q8k_ref(const float* x, void* out, int64_t n);

const IsaKernels& isa_kernels_avx2();
const IsaKernels& isa_kernels_avx512();

// The AVX-512 panel GEMM for a type, or nullptr.
PanelFn panel16_avx512(quant::TensorType type);

}  // namespace pagoda::kernels::cpu
