// Every CPU path this machine supports against the scalar reference, for
// every weight type, on odd shapes: 1 row, rows not a multiple of any tile,
// token counts that leave partial column groups, K of one block and many.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "kernels/cpu/dot_kernels.h"
#include "kernels/matmul.h"
#include "kernels/repack.h"
#include "quant/dequantize.h"
#include "quant/half.h"

namespace pagoda::kernels {
namespace {

using quant::TensorType;

// Byte offsets of the fp16 scale fields in one block of each type: random
// bytes are valid quants, but random fp16 scales could be inf or NaN.
std::vector<int> scale_offsets(TensorType t) {
  switch (t) {
    case TensorType::Q4_0:
    case TensorType::Q5_0:
    case TensorType::Q8_0:
      return {0};
    case TensorType::Q4_1:
    case TensorType::Q5_1:
    case TensorType::Q4_K:
    case TensorType::Q5_K:
      return {0, 2};
    case TensorType::Q2_K:
      return {80, 82};
    case TensorType::Q3_K:
      return {108};
    case TensorType::Q6_K:
      return {208};
    default:
      return {};
  }
}

std::vector<uint8_t> random_matrix(TensorType t, int64_t rows, int64_t cols, std::mt19937& rng) {
  const size_t rb = quant::row_bytes(t, cols);
  std::vector<uint8_t> data(rb * static_cast<size_t>(rows));
  std::normal_distribution<float> normal(0.0f, 1.0f);
  if (t == TensorType::F32 || t == TensorType::F16 || t == TensorType::BF16) {
    std::vector<float> v(static_cast<size_t>(cols));
    for (int64_t r = 0; r < rows; ++r) {
      for (auto& x : v) x = normal(rng);
      quant::quantize_row(t, v.data(), data.data() + static_cast<size_t>(r) * rb, cols);
    }
    return data;
  }
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  const auto& info = quant::type_info(t);
  std::uniform_real_distribution<float> scale(0.001f, 0.05f);
  for (size_t blk = 0; blk < data.size() / static_cast<size_t>(info.block_bytes); ++blk) {
    for (int off : scale_offsets(t)) {
      const uint16_t h = quant::fp32_to_fp16(scale(rng));
      std::memcpy(data.data() + blk * static_cast<size_t>(info.block_bytes) + static_cast<size_t>(off), &h,
                  2);
    }
  }
  return data;
}

const TensorType kTypes[] = {TensorType::F32,  TensorType::F16,  TensorType::BF16, TensorType::Q4_0,
                             TensorType::Q4_1, TensorType::Q5_0, TensorType::Q5_1, TensorType::Q8_0,
                             TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K,
                             TensorType::Q6_K};

class MatmulPaths : public ::testing::TestWithParam<TensorType> {};

TEST_P(MatmulPaths, MatchReferenceWithinActivationQuantizationBound) {
  const TensorType type = GetParam();
  const int64_t block = quant::type_info(type).block_size;
  const int64_t unit = std::max<int64_t>(block, 32);
  std::mt19937 rng(42);
  ThreadPool pool(2);
  for (auto [rows, k_blocks, n_tokens] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{{1, 1, 1},
                                                                                            {7, 3, 1},
                                                                                            {33, 2, 5},
                                                                                            {16, 1, 4},
                                                                                            {9, 4, 9},
                                                                                            {64, 8, 3},
                                                                                            {24, 3, 1},
                                                                                            {16, 2, 7},
                                                                                            {8, 1, 17},
                                                                                            {24, 2, 12},
                                                                                            {41, 3, 4},
                                                                                            {37, 2, 20},
                                                                                            {16, 1, 33}}) {
    const int64_t cols = unit * k_blocks;
    const auto w_data = random_matrix(type, rows, cols, rng);
    const MatrixView w{type, w_data.data(), rows, cols, quant::row_bytes(type, cols)};
    std::vector<float> x(static_cast<size_t>(n_tokens * cols));
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (auto& v : x) v = normal(rng);

    std::vector<float> want(static_cast<size_t>(rows * n_tokens));
    matmul(w, x.data(), n_tokens, want.data(), pool, CpuPath::Reference);

    // Bound: activations are rounded to 8 bits per block, error <= amax/254
    // per element, so |dy| <= sum_i |w_i| * amax(block of i) / 254, plus
    // float rounding of the sums.
    std::vector<float> wrow(static_cast<size_t>(cols));
    std::vector<double> bound(want.size());
    for (int64_t r = 0; r < rows; ++r) {
      quant::dequantize_row(type, w.row(r), wrow.data(), cols);
      for (int64_t t = 0; t < n_tokens; ++t) {
        double b = 0, mag = 0;
        for (int64_t i = 0; i < cols; i += 32) {
          const int64_t group = block == 256 ? 256 : 32;  // activation block of the kernel
          const int64_t g0 = i / group * group;
          float amax = 0;
          for (int64_t j = g0; j < g0 + group; ++j)
            amax = std::max(amax, std::fabs(x[static_cast<size_t>(t * cols + j)]));
          for (int64_t j = i; j < i + 32; ++j) {
            b += std::fabs(wrow[static_cast<size_t>(j)]) * amax / 254.0;
            mag += std::fabs(wrow[static_cast<size_t>(j)] * x[static_cast<size_t>(t * cols + j)]);
          }
        }
        bound[static_cast<size_t>(t * rows + r)] = b + 1e-5 * mag + 1e-6;
      }
    }

    // The same matrix with its rows interleaved for the packed kernels (a
    // tail of rows past the last full group of 8 stays plain).
    MatrixView packed_w = w;
    PackedWeights packed_store;
    const bool packed = packed_store.pack(packed_w);
    for (CpuPath path : supported_cpu_paths()) {
      for (const MatrixView* view : {&w, static_cast<const MatrixView*>(&packed_w)}) {
        if (view == &packed_w && !packed) continue;
        std::vector<float> got(want.size());
        matmul(*view, x.data(), n_tokens, got.data(), pool, path);
        for (size_t i = 0; i < got.size(); ++i) {
          ASSERT_NEAR(got[i], want[i], bound[i])
              << quant::type_info(type).name << " path " << cpu_path_name(path)
              << (view == &packed_w ? " packed" : "") << " rows " << rows << " cols " << cols << " tokens "
              << n_tokens << " at " << i;
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatmulPaths, ::testing::ValuesIn(kTypes),
                         [](const auto& info) { return std::string(quant::type_info(info.param).name); });

TEST(ActivationQuantizers, SimdMatchesScalarByteForByte) {
  if (supported_cpu_paths().size() < 2) GTEST_SKIP() << "no SIMD path on this CPU";
  std::mt19937 rng(7);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::vector<float> x(1024);
  for (auto& v : x) v = normal(rng);
  x[5] = 0.0f;
  std::fill(x.begin() + 256, x.begin() + 512, 0.0f);  // an all-zero block
  const auto& isa = cpu::isa_kernels_avx2();
  for (auto [fmt, simd, ref] :
       {std::tuple{cpu::ActFormat::Q8, isa.quantize_q8, &cpu::quantize_act_q8_ref},
        std::tuple{cpu::ActFormat::Q8K, isa.quantize_q8k, &cpu::quantize_act_q8k_ref}}) {
    std::vector<uint8_t> a(cpu::act_row_bytes(fmt, 1024)), b(a.size());
    simd(x.data(), a.data(), 1024);
    ref(x.data(), b.data(), 1024);
    EXPECT_EQ(a, b);
  }
}

}  // namespace
}  // namespace pagoda::kernels

namespace pagoda::kernels {
namespace {

TEST(MatmulSharedInput, EqualsSeparateProducts) {
  std::mt19937 rng(3);
  ThreadPool pool(2);
  // Q4_K and Q6_K share the Q8K activation format (a Q4_K_M layer); Q4_0 and
  // F16 do not, which takes the one-at-a-time path.
  for (auto [ta, tb] :
       {std::pair{TensorType::Q4_K, TensorType::Q6_K}, std::pair{TensorType::Q4_0, TensorType::F16}}) {
    const int64_t cols = 512, n_tokens = 6;
    const auto da = random_matrix(ta, 37, cols, rng), db = random_matrix(tb, 5, cols, rng);
    const MatrixView a{ta, da.data(), 37, cols, quant::row_bytes(ta, cols)};
    const MatrixView b{tb, db.data(), 5, cols, quant::row_bytes(tb, cols)};
    std::vector<float> x(static_cast<size_t>(n_tokens * cols));
    std::normal_distribution<float> normal;
    for (auto& v : x) v = normal(rng);
    std::vector<float> ya(37 * n_tokens), yb(5 * n_tokens), ya2(ya.size()), yb2(yb.size());
    matmul_shared_input({{&a, ya.data()}, {&b, yb.data()}}, x.data(), n_tokens, pool);
    matmul(a, x.data(), n_tokens, ya2.data(), pool);
    matmul(b, x.data(), n_tokens, yb2.data(), pool);
    EXPECT_EQ(ya, ya2);
    EXPECT_EQ(yb, yb2);
  }
}

// A row's result must not depend on how many tokens share the call: the
// engine's batch invariance (a prompt's greedy output alone or among 16
// others) rests on it. The packed types switch kernels with the token count
// (8-row GEMV kernels for few tokens, 16-row ones for more), so compare each
// token's outputs computed alone with the same token inside batches of
// several sizes, bit for bit.
TEST(PackedMatmul, ResultsDoNotDependOnBatchSize) {
  std::mt19937 rng(5);
  ThreadPool pool(2);
  for (TensorType type : {TensorType::Q4_0, TensorType::Q8_0}) {
    const int64_t rows = 56, cols = 256;  // 7 groups of 8: pairs and a lone group
    const auto data = random_matrix(type, rows, cols, rng);
    MatrixView w{type, data.data(), rows, cols, quant::row_bytes(type, cols)};
    PackedWeights store;
    ASSERT_TRUE(store.pack(w));
    const int64_t max_tokens = 19;
    std::vector<float> x(static_cast<size_t>(max_tokens * cols));
    std::normal_distribution<float> normal;
    for (auto& v : x) v = normal(rng);
    for (CpuPath path : supported_cpu_paths()) {
      std::vector<float> alone(static_cast<size_t>(max_tokens * rows));
      for (int64_t t = 0; t < max_tokens; ++t)
        matmul(w, x.data() + t * cols, 1, alone.data() + t * rows, pool, path);
      for (int64_t n_tokens : {2, 3, 4, 5, 8, 9, 16, 19}) {
        std::vector<float> batch(static_cast<size_t>(n_tokens * rows));
        matmul(w, x.data(), n_tokens, batch.data(), pool, path);
        for (int64_t i = 0; i < n_tokens * rows; ++i) {
          ASSERT_EQ(
              std::memcmp(&batch[static_cast<size_t>(i)], &alone[static_cast<size_t>(i)], sizeof(float)), 0)
              << quant::type_info(type).name << " path " << cpu_path_name(path) << " tokens " << n_tokens
              << " token " << i / rows << " row " << i % rows << ": " << batch[static_cast<size_t>(i)]
              << " vs " << alone[static_cast<size_t>(i)];
        }
      }
    }
  }
}

}  // namespace
}  // namespace pagoda::kernels
