// AVX-512 VNNI kernels (Zen 4, Ice Lake and later). 256-bit vectors: Zen 4
// splits 512-bit operations in two, and GEMV gains nothing from them, while
// vpdpbusd replaces AVX2's two-instruction multiply-add. Types without a
// kernel here fall back to the AVX2 table.
#include <immintrin.h>

#include <cstring>

#include "kernels/cpu/dot_kernels.h"
#include "quant/blocks.h"

namespace pagoda::kernels::cpu {
namespace {

// VNNI: one instruction for the u8 x s8 products and their sums of four.
inline __m256i dot_u8_s8(__m256i u, __m256i s) { return _mm256_dpbusd_epi32(_mm256_setzero_si256(), u, s); }


#include "kernels/cpu/dot_legacy_x86.inc"

const DotKernel kQ4_0 = PAGODA_DOT_KERNEL_PACKED(ActFormat::Q8, dot_q4_0_n, dot8_q4_0_n);
const DotKernel kQ8_0 = PAGODA_DOT_KERNEL_PACKED(ActFormat::Q8, dot_q8_0_n, dot8_q8_0_n);
const DotKernel kQ4_1 = PAGODA_DOT_KERNEL(ActFormat::Q8, dot_q4_1_n);
const DotKernel kQ5_0 = PAGODA_DOT_KERNEL(ActFormat::Q8, dot_q5_0_n);
const DotKernel kQ5_1 = PAGODA_DOT_KERNEL(ActFormat::Q8, dot_q5_1_n);
#undef PAGODA_DOT_KERNEL
#undef PAGODA_DOT_KERNEL_PACKED

const DotKernel* kernel_for(quant::TensorType type) {
  switch (type) {
    case quant::TensorType::Q4_0: return &kQ4_0;
    case quant::TensorType::Q8_0: return &kQ8_0;
    case quant::TensorType::Q4_1: return &kQ4_1;
    case quant::TensorType::Q5_0: return &kQ5_0;
    case quant::TensorType::Q5_1: return &kQ5_1;
    default: return nullptr;
  }
}

}  // namespace

const IsaKernels& isa_kernels_avx512() {
  // Activation quantizers: the AVX2 ones (the format is the same on every path).
  static const IsaKernels kAvx512{"avx512", isa_kernels_avx2().quantize_q8, isa_kernels_avx2().quantize_q8k,
                                  kernel_for};
  return kAvx512;
}

}  // namespace pagoda::kernels::cpu
