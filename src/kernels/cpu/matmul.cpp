// matmul: quantize the activations once into the format the weight type's
// kernel wants, then split the weight rows over the threads; each row is
// dotted with up to kMaxDotColumns activation rows per kernel call so that
// its unpacked blocks are reused across tokens.
#include "kernels/matmul.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "kernels/cpu/dot_kernels.h"
#include "kernels/cpu_features.h"
#include "quant/dequantize.h"

namespace pagoda::kernels {
namespace {

float dot_f32(const float* a, const float* b, int64_t n) {
  // Four partial sums: lets the compiler vectorise without -ffast-math.
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

// The scalar reference: dequantize each weight row once, float dot per token.
void matmul_reference(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  const bool is_f32 = w.type == quant::TensorType::F32;
  pool.parallel_for(w.rows, [&](int64_t begin, int64_t end) {
    thread_local std::vector<float> row_buffer;
    if (!is_f32 && row_buffer.size() < static_cast<size_t>(w.cols))
      row_buffer.resize(static_cast<size_t>(w.cols));
    for (int64_t r = begin; r < end; ++r) {
      const float* wr = static_cast<const float*>(w.row(r));
      if (!is_f32) {
        quant::dequantize_row(w.type, w.row(r), row_buffer.data(), w.cols);
        wr = row_buffer.data();
      }
      for (int64_t t = 0; t < n_tokens; ++t) y[t * w.rows + r] = dot_f32(wr, x + t * w.cols, w.cols);
    }
  });
}

const cpu::IsaKernels* isa_for(CpuPath path) {
  switch (path) {
    case CpuPath::Avx512:
      return &cpu::isa_kernels_avx512();
    case CpuPath::Avx2:
      return &cpu::isa_kernels_avx2();
    default:
      return nullptr;
  }
}

// The kernel for a type on a path, falling back to narrower paths.
const cpu::DotKernel* find_kernel(CpuPath path, quant::TensorType type, const cpu::IsaKernels** isa) {
  for (CpuPath p = path; p != CpuPath::Reference; p = static_cast<CpuPath>(static_cast<int>(p) - 1)) {
    if (const cpu::IsaKernels* k = isa_for(p)) {
      if (const cpu::DotKernel* d = k->kernel(type)) {
        *isa = k;
        return d;
      }
    }
  }
  return nullptr;
}

}  // namespace

void get_row(const MatrixView& w, int64_t index, float* dst) {
  quant::dequantize_row(w.type, w.row(index), dst, w.cols);
}

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool) {
  matmul(w, x, n_tokens, y, pool, best_cpu_path());
}

namespace {

// Quantizes X for `kernel` (or passes it through for F32 kernels) into the
// calling thread's buffer; workers only read it.
const uint8_t* prepare_activations(const cpu::IsaKernels& isa, const cpu::DotKernel& kernel, const float* x,
                                   int64_t n_tokens, int64_t cols, ThreadPool& pool) {
  if (kernel.format == cpu::ActFormat::F32) return reinterpret_cast<const uint8_t*>(x);
  const size_t stride = cpu::act_row_bytes(kernel.format, cols);
  thread_local std::vector<uint8_t> act_buffer;
  act_buffer.resize(stride * static_cast<size_t>(n_tokens));
  const cpu::QuantizeActFn quantize =
      kernel.format == cpu::ActFormat::Q8 ? isa.quantize_q8 : isa.quantize_q8k;
  uint8_t* dst = act_buffer.data();
  if (n_tokens == 1) {
    quantize(x, dst, cols);
  } else {
    pool.parallel_for(n_tokens, [&](int64_t begin, int64_t end) {
      for (int64_t t = begin; t < end; ++t)
        quantize(x + t * cols, dst + static_cast<size_t>(t) * stride, cols);
    });
  }
  return act_buffer.data();
}

// Work is split in units: one or two groups of 8 packed rows (two where the
// ISA has a 16-row kernel), a block of kRowBlock plain rows (the rows past
// the packed ones, or all rows when the kernel has no packed variant), or,
// for prompt-sized batches of the K-quants, a 16-row panel.
int64_t packed_groups(const cpu::DotKernel& kernel, const MatrixView& w) {
  return w.packed && kernel.dot8 ? w.packed_rows / 8 : 0;
}

int64_t groups_per_unit(const cpu::DotKernel& kernel) {
  return kernel.dot16 ? 2 : 1;
}

// Panels pay for their conversion once per 16 rows: worth it for prompt-sized
// batches, not for a few decode tokens.
constexpr int64_t kMinTokensForPanels = 16;
constexpr int64_t kPanelRows = 16;

// Panels read the file's row layout (a packed copy, where there is one,
// serves the smaller batches).
bool use_panels(const cpu::DotKernel& kernel, int64_t n_tokens) {
  return kernel.panel16 && n_tokens >= kMinTokensForPanels;
}

int64_t group_units(const cpu::DotKernel& kernel, const MatrixView& w) {
  return (packed_groups(kernel, w) + groups_per_unit(kernel) - 1) / groups_per_unit(kernel);
}

// Plain rows go kRowBlock to a unit, so that a unit costs about what a
// packed one does: the threads get equal ranges of units, and a shared-input
// dispatch can mix packed matrices with plain ones (a Q4_K_M layer's Q6_K
// value matrix next to its Q4_K query and key).
constexpr int64_t kRowBlock = 8;

int64_t plain_units(const cpu::DotKernel& kernel, const MatrixView& w) {
  return (w.rows - packed_groups(kernel, w) * 8 + kRowBlock - 1) / kRowBlock;
}

int64_t work_units(const cpu::DotKernel& kernel, const MatrixView& w, int64_t n_tokens) {
  if (use_panels(kernel, n_tokens)) return (w.rows + kPanelRows - 1) / kPanelRows;
  return group_units(kernel, w) + plain_units(kernel, w);
}

// Units [begin, end) of W against all tokens, kMaxPairColumns (two packed
// groups), kMaxPackedColumns (one) or kMaxDotColumns (plain) tokens per
// kernel call. A block of plain rows and
// one group of activation rows (about 20 KB for a 2048-wide Q4_0 layer) stay
// in L1 while the block is swept over the token groups.
void dot_units(const cpu::DotKernel& kernel, const MatrixView& w, const uint8_t* act, size_t stride,
               int64_t n_tokens, int64_t begin, int64_t end, float* y) {
  constexpr int64_t kMinTokensFor16Rows = 4;
  if (use_panels(kernel, n_tokens)) {
    for (int64_t u = begin; u < end; ++u) {
      const int64_t r0 = u * kPanelRows;
      const int rows = static_cast<int>(std::min(kPanelRows, w.rows - r0));
      kernel.panel16(w.cols, w.row(r0), w.row_bytes, rows, act, stride, n_tokens, y + r0, w.rows);
    }
    return;
  }
  const int64_t groups = packed_groups(kernel, w);
  const int64_t units = group_units(kernel, w);
  const int64_t per_unit = groups_per_unit(kernel);
  float out[cpu::kMaxPairColumns * 16];
  const size_t group_bytes = w.packed_group_bytes;
  for (int64_t u = begin; u < std::min(end, units); ++u) {
    const int64_t g_begin = u * per_unit, g_end = std::min(groups, g_begin + per_unit);
    // With few tokens the weights stream from memory and the product is
    // bound by that: there the 8-row kernel measured faster (Q4_0 TinyLlama
    // shape, 2 threads: 1.7x at 1 token, 1.6x at 2, even at 3-4), the 16-row
    // one from 4 tokens on (1.2x at 8).
    const bool pair = g_end - g_begin == 2 && n_tokens >= kMinTokensFor16Rows;
    const int width = pair ? 16 : 8;
    const cpu::DotFn fn = pair ? kernel.dot16 : kernel.dot8;
    const int64_t max_cols = pair ? cpu::kMaxPairColumns : cpu::kMaxPackedColumns;
    for (int64_t g = g_begin; g < g_end; g += width / 8) {
      const void* packed = static_cast<const uint8_t*>(w.packed) + static_cast<size_t>(g) * group_bytes;
      for (int64_t t = 0; t < n_tokens; t += max_cols) {
        const int cols = static_cast<int>(std::min<int64_t>(max_cols, n_tokens - t));
        (pair && t == 0 ? kernel.dot16_first : fn)(w.cols, packed, act + static_cast<size_t>(t) * stride,
                                                   stride, cols, out);
        // Copies of a constant size: with the width as a variable the
        // compiler called `rep movs`, whose start-up cost was 3% of a
        // 16-sequence decode step.
        for (int j = 0; j < cols; ++j) {
          float* dst = y + (t + j) * w.rows + g * 8;
          if (pair) std::memcpy(dst, out + 16 * j, 16 * sizeof(float));
          else std::memcpy(dst, out + 8 * j, 8 * sizeof(float));
        }
      }
    }
  }
  const int64_t row_begin = std::min(w.rows, groups * 8 + std::max<int64_t>(0, begin - units) * kRowBlock);
  const int64_t row_end = std::min(w.rows, groups * 8 + std::max<int64_t>(0, end - units) * kRowBlock);
  for (int64_t r0 = row_begin; r0 < row_end; r0 += kRowBlock) {
    const int64_t r1 = std::min(row_end, r0 + kRowBlock);
    for (int64_t t = 0; t < n_tokens; t += cpu::kMaxDotColumns) {
      const int cols = static_cast<int>(std::min<int64_t>(cpu::kMaxDotColumns, n_tokens - t));
      const uint8_t* group = act + static_cast<size_t>(t) * stride;
      for (int64_t r = r0; r < r1; ++r) {
        kernel.dot(w.cols, w.row(r), group, stride, cols, out);
        for (int j = 0; j < cols; ++j) y[(t + j) * w.rows + r] = out[j];
      }
    }
  }
}

}  // namespace

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y, ThreadPool& pool, CpuPath path) {
  const cpu::IsaKernels* isa = nullptr;
  const cpu::DotKernel* kernel = find_kernel(path, w.type, &isa);
  if (!kernel) {
    matmul_reference(w, x, n_tokens, y, pool);
    return;
  }
  const size_t stride = cpu::act_row_bytes(kernel->format, w.cols);
  const uint8_t* act = prepare_activations(*isa, *kernel, x, n_tokens, w.cols, pool);
  pool.parallel_for(work_units(*kernel, w, n_tokens), [&](int64_t begin, int64_t end) {
    dot_units(*kernel, w, act, stride, n_tokens, begin, end, y);
  });
}

void matmul_shared_input(std::initializer_list<MatmulOutput> outputs, const float* x, int64_t n_tokens,
                         ThreadPool& pool) {
  constexpr size_t kMaxOutputs = 4;
  const CpuPath path = best_cpu_path();
  const cpu::IsaKernels* isa = nullptr;
  const cpu::DotKernel* kernels[kMaxOutputs] = {};
  bool shared = outputs.size() <= kMaxOutputs;
  size_t i = 0;
  for (const MatmulOutput& o : outputs) {
    if (!shared) break;
    kernels[i] = find_kernel(path, o.w->type, &isa);
    // One quantized input serves all only if every kernel reads the same format.
    shared = kernels[i] && kernels[i]->format == kernels[0]->format && o.w->cols == outputs.begin()->w->cols;
    ++i;
  }
  if (!shared) {
    for (const MatmulOutput& o : outputs) matmul(*o.w, x, n_tokens, o.y, pool, path);
    return;
  }
  const int64_t cols = outputs.begin()->w->cols;
  const size_t stride = cpu::act_row_bytes(kernels[0]->format, cols);
  const uint8_t* act = prepare_activations(*isa, *kernels[0], x, n_tokens, cols, pool);
  int64_t total_units = 0;
  i = 0;
  for (const MatmulOutput& o : outputs) total_units += work_units(*kernels[i++], *o.w, n_tokens);
  pool.parallel_for(total_units, [&](int64_t begin, int64_t end) {
    int64_t first = 0;  // global index of the current output's unit 0
    size_t k = 0;
    for (const MatmulOutput& o : outputs) {
      const int64_t units = work_units(*kernels[k], *o.w, n_tokens);
      const int64_t lo = std::max(begin, first), hi = std::min(end, first + units);
      if (lo < hi) dot_units(*kernels[k], *o.w, act, stride, n_tokens, lo - first, hi - first, o.y);
      first += units;
      ++k;
    }
  });
}

}  // namespace pagoda::kernels
