// Kernels against straightforward textbook formulations.
#include "kernels/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/attention.h"
#include "kernels/matmul.h"
#include "quant/dequantize.h"

namespace pagoda::kernels {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  return v;
}

TEST(Ops, RmsNorm) {
  const std::vector<float> x = {1, 2, 3, 4};
  const std::vector<float> w = {1, 1, 2, 0.5};
  std::vector<float> out(4);
  rms_norm(x.data(), w.data(), out.data(), 4, 0.0f);
  const float rms = std::sqrt((1 + 4 + 9 + 16) / 4.0f);
  EXPECT_NEAR(out[0], 1 / rms, 1e-6);
  EXPECT_NEAR(out[2], 3 / rms * 2, 1e-6);
  EXPECT_NEAR(out[3], 4 / rms * 0.5, 1e-6);
}

TEST(Ops, RopeNormalRotatesAdjacentPairsNeoxRotatesHalves) {
  RopeParams p;
  p.head_dim = 4;
  p.n_rot = 4;
  p.freq_base = 10000.0f;
  std::vector<float> x = {1, 0, 1, 0};
  rope(x.data(), 1, 3, p);
  // pair 0: theta = 3; pair 1: theta = 3 * 10000^(-1/2) = 0.03
  EXPECT_NEAR(x[0], std::cos(3.0f), 1e-6);
  EXPECT_NEAR(x[1], std::sin(3.0f), 1e-6);
  EXPECT_NEAR(x[2], std::cos(0.03f), 1e-6);
  EXPECT_NEAR(x[3], std::sin(0.03f), 1e-6);

  p.ordering = RopeOrdering::NeoX;
  std::vector<float> y = {1, 1, 0, 0};  // pairs (0,2) and (1,3)
  rope(y.data(), 1, 3, p);
  EXPECT_NEAR(y[0], std::cos(3.0f), 1e-6);
  EXPECT_NEAR(y[2], std::sin(3.0f), 1e-6);
  EXPECT_NEAR(y[1], std::cos(0.03f), 1e-6);
  EXPECT_NEAR(y[3], std::sin(0.03f), 1e-6);
}

TEST(Ops, RopePartialRotationLeavesTailAlone) {
  RopeParams p;
  p.head_dim = 6;
  p.n_rot = 2;
  std::vector<float> x = {1, 0, 5, 6, 7, 8};
  rope(x.data(), 1, 1, p);
  EXPECT_NEAR(x[0], std::cos(1.0f), 1e-6);
  EXPECT_EQ(x[2], 5);
  EXPECT_EQ(x[5], 8);
}

TEST(Ops, RopeFrequencyFactorsDivideEachPairsAngle) {
  RopeParams p;
  p.head_dim = 4;
  p.n_rot = 4;
  const float factors[2] = {1.0f, 4.0f};
  p.freq_factors = factors;
  std::vector<float> x = {1, 0, 1, 0};
  rope(x.data(), 1, 3, p);
  EXPECT_NEAR(x[0], std::cos(3.0f), 1e-6);          // pair 0 unchanged
  EXPECT_NEAR(x[3], std::sin(0.03f / 4.0f), 1e-6);  // pair 1 turns a quarter as fast
  // Uniform factors are linear scaling.
  const float twos[2] = {2.0f, 2.0f};
  RopeParams a = p, b = p;
  a.freq_factors = twos;
  b.freq_factors = nullptr;
  b.freq_scale = 0.5f;
  std::vector<float> ya = {0.3f, -1.2f, 0.7f, 2.0f}, yb = ya;
  rope(ya.data(), 1, 17, a);
  rope(yb.data(), 1, 17, b);
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(ya[static_cast<size_t>(i)], yb[static_cast<size_t>(i)], 1e-5);
}

// Every path against double-precision SiLU over the range activations reach,
// including the tails where e^-g under- or overflows, and a length that
// leaves a remainder after the 8-wide loop.
TEST(Ops, SiluMulMatchesDoubleOnEveryPath) {
  const int64_t n = 1003;
  std::vector<float> gate0(static_cast<size_t>(n)), up(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    gate0[static_cast<size_t>(i)] = -120.0f + 240.0f * static_cast<float>(i) / static_cast<float>(n - 1);
    up[static_cast<size_t>(i)] = 0.5f + static_cast<float>(i % 7);
  }
  for (CpuPath path : supported_cpu_paths()) {
    std::vector<float> g = gate0;
    silu_mul(g.data(), up.data(), n, path);
    for (int64_t i = 0; i < n; ++i) {
      const double x = gate0[static_cast<size_t>(i)];
      const double want = x / (1.0 + std::exp(-x)) * up[static_cast<size_t>(i)];
      ASSERT_NEAR(g[static_cast<size_t>(i)], want, 1e-6 * std::fabs(want) + 1e-30)
          << cpu_path_name(path) << " at x = " << x;
    }
  }
}

TEST(Ops, GeluMulAndSoftCap) {
  // GELU, tanh approximation: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  std::vector<float> g = {1.0f, -1.0f, 0.0f, 3.0f};
  const std::vector<float> up = {2.0f, 2.0f, 2.0f, 0.5f};
  gelu_mul(g.data(), up.data(), 4);
  EXPECT_NEAR(g[0], 2 * 0.841192f, 1e-5);
  EXPECT_NEAR(g[1], 2 * -0.158808f, 1e-5);
  EXPECT_EQ(g[2], 0.0f);
  EXPECT_NEAR(g[3], 0.5f * 2.996363f, 1e-5);
  std::vector<float> x = {0.0f, 1.0f, 100.0f, -100.0f};
  soft_cap(x.data(), 4, 30.0f);
  EXPECT_EQ(x[0], 0.0f);
  EXPECT_NEAR(x[1], 30.0f * std::tanh(1.0f / 30.0f), 1e-6);
  EXPECT_NEAR(x[2], 29.92374f, 1e-4);  // 30 tanh(10/3): capped below 30
  EXPECT_NEAR(x[3], -29.92374f, 1e-4);
}

TEST(Ops, SiluMulAndSoftmax) {
  std::vector<float> g = {0.0f, 1.0f, -2.0f};
  const std::vector<float> u = {3.0f, 2.0f, 1.0f};
  silu_mul(g.data(), u.data(), 3);
  EXPECT_NEAR(g[0], 0.0f, 1e-7);
  EXPECT_NEAR(g[1], 2.0f / (1 + std::exp(-1.0f)), 1e-6);
  EXPECT_NEAR(g[2], -2.0f / (1 + std::exp(2.0f)), 1e-6);
  std::vector<float> s = {1000.0f, 1000.0f, -1e30f};
  softmax(s.data(), 3);
  EXPECT_NEAR(s[0], 0.5f, 1e-6);
  EXPECT_NEAR(s[2], 0.0f, 1e-7);
}

// Two-pass attention with a materialised score row, the textbook way.
void naive_attention(const float* q, const float* k, const float* v, int64_t n_kv, int64_t stride,
                     const AttentionShape& s, float* out) {
  const int group = s.n_head / s.n_head_kv;
  const int64_t first = s.window > 0 && n_kv > s.window ? n_kv - s.window : 0;  // older positions are outside the window
  for (int h = 0; h < s.n_head; ++h) {
    std::vector<float> scores(static_cast<size_t>(n_kv - first));
    const int64_t off = static_cast<int64_t>(h / group) * s.head_dim;
    for (int64_t p = first; p < n_kv; ++p) {
      float d = 0;
      for (int i = 0; i < s.head_dim; ++i) d += q[h * s.head_dim + i] * k[p * stride + off + i];
      d *= s.scale;
      if (s.softcap > 0) d = s.softcap * std::tanh(d / s.softcap);
      scores[static_cast<size_t>(p - first)] = d;
    }
    softmax(scores.data(), n_kv - first);
    for (int i = 0; i < s.head_dim; ++i) {
      float acc = 0;
      for (int64_t p = first; p < n_kv; ++p) acc += scores[static_cast<size_t>(p - first)] * v[p * stride + off + i];
      out[h * s.head_dim + i] = acc;
    }
  }
}

// Scatters contiguous F32 rows into a paged store of `type` with a shuffled
// block table, as the paged KV cache lays them out.
struct PagedStore {
  std::vector<uint8_t> keys, values;
  std::vector<int32_t> table;
  size_t row_bytes;
};

PagedStore make_paged(const std::vector<float>& k, const std::vector<float>& v, int64_t n_kv, int64_t stride,
                      quant::TensorType type, int block_size) {
  PagedStore s;
  s.row_bytes = quant::row_bytes(type, stride);
  const int64_t n_blocks = (n_kv + block_size - 1) / block_size;
  for (int64_t b = 0; b < n_blocks; ++b)
    s.table.push_back(static_cast<int32_t>(n_blocks - 1 - b));  // reversed
  s.keys.resize(s.row_bytes * static_cast<size_t>(n_blocks * block_size));
  s.values.resize(s.keys.size());
  for (int64_t p = 0; p < n_kv; ++p) {
    const size_t slot =
        static_cast<size_t>(s.table[static_cast<size_t>(p / block_size)]) * static_cast<size_t>(block_size) +
        static_cast<size_t>(p % block_size);
    quant::quantize_row(type, k.data() + p * stride, s.keys.data() + slot * s.row_bytes, stride);
    quant::quantize_row(type, v.data() + p * stride, s.values.data() + slot * s.row_bytes, stride);
  }
  return s;
}

TEST(Attention, PagedOnlineSoftmaxMatchesTwoPassWithWindowAndSoftCap) {
  for (auto [n_head, n_head_kv, hd, n_kv, bs] :
       std::vector<std::tuple<int, int, int, int, int>>{{1, 1, 8, 1, 16},
                                                        {4, 4, 16, 7, 4},
                                                        {8, 2, 8, 33, 16},
                                                        {6, 3, 64, 100, 16},
                                                        {2, 1, 12, 40, 3},
                                                        {4, 2, 128, 65, 64},
                                                        {8, 1, 32, 70, 1},
                                                        // 64 query heads: more than one kernel call holds
                                                        {64, 4, 16, 20, 16}}) {
   // Full causal attention, a sliding window (Gemma, Mistral) and Gemma 2's
   // score soft-capping, alone and together.
   for (auto [window, softcap] : std::vector<std::pair<int64_t, float>>{{0, 0.0f}, {5, 0.0f}, {0, 1.5f}, {17, 2.0f}}) {
    const AttentionShape s{n_head, n_head_kv, hd, 1.0f / std::sqrt(static_cast<float>(hd)), window, softcap};
    const int64_t stride = static_cast<int64_t>(n_head_kv) * hd;
    const auto q = random_vector(static_cast<size_t>(n_head * hd), 1, 2.0f);
    const auto k = random_vector(static_cast<size_t>(n_kv * stride), 2, 2.0f);
    const auto v = random_vector(static_cast<size_t>(n_kv * stride), 3);
    for (auto type : {quant::TensorType::F32, quant::TensorType::F16, quant::TensorType::Q8_0}) {
      if (type == quant::TensorType::Q8_0 && stride % 32 != 0) continue;
      // The two-pass answer on the values as stored (rounded to the type).
      std::vector<float> kq(k.size()), vq(v.size());
      std::vector<uint8_t> row(quant::row_bytes(type, stride));
      for (int64_t p = 0; p < n_kv; ++p) {
        quant::quantize_row(type, k.data() + p * stride, row.data(), stride);
        quant::dequantize_row(type, row.data(), kq.data() + p * stride, stride);
        quant::quantize_row(type, v.data() + p * stride, row.data(), stride);
        quant::dequantize_row(type, row.data(), vq.data() + p * stride, stride);
      }
      std::vector<float> want(q.size());
      naive_attention(q.data(), kq.data(), vq.data(), n_kv, stride, s, want.data());
      const PagedStore store = make_paged(k, v, n_kv, stride, type, bs);
      const PagedKv kv{store.keys.data(), store.values.data(), type, store.row_bytes, bs, store.table};
      for (CpuPath path : supported_cpu_paths()) {
        // One kv head per call, and all of them in one call (their chunks
        // interleaved).
        std::vector<float> got(q.size()), all(q.size());
        for (int h = 0; h < n_head_kv; ++h) attend_paged(q.data(), kv, n_kv, s, h, got.data(), path);
        attend_paged_heads(q.data(), kv, n_kv, s, 0, n_head_kv, all.data(), path);
        for (size_t i = 0; i < got.size(); ++i) {
          EXPECT_NEAR(got[i], want[i], 1e-5) << cpu_path_name(path) << " " << quant::type_info(type).name
                                             << " " << n_head << "/" << n_kv << " window " << window
                                             << " softcap " << softcap << " @" << i;
          EXPECT_EQ(all[i], got[i]) << cpu_path_name(path) << " all heads at once @" << i;
        }
      }
    }
   }
  }
}

// A run of consecutive tokens (verification, a prompt chunk) gives every
// token exactly what it gets alone, whichever kernel runs: the run shares
// chunk loads, never arithmetic.
TEST(Attention, RunOfTokensEqualsEachTokenAlone) {
  for (auto [n_head, n_head_kv, hd, n_kv_first, bs] :
       std::vector<std::tuple<int, int, int, int, int>>{{6, 2, 64, 1, 16},
                                                        {6, 2, 64, 30, 16},
                                                        {8, 8, 16, 17, 32},
                                                        {4, 1, 32, 45, 4},
                                                        {64, 4, 16, 20, 16}}) {
    for (auto [window, softcap] : std::vector<std::pair<int64_t, float>>{{0, 0.0f}, {0, 1.5f}, {9, 0.0f}}) {
      const AttentionShape s{n_head, n_head_kv, hd, 1.0f / std::sqrt(static_cast<float>(hd)), window, softcap};
      const int64_t stride = static_cast<int64_t>(n_head_kv) * hd;
      const int64_t q_dim = static_cast<int64_t>(n_head) * hd;
      for (int n_tokens : {1, 2, 5, kMaxRunTokens, kMaxRunTokens + 3}) {
        const int64_t n_kv = n_kv_first + n_tokens - 1;
        const auto q = random_vector(static_cast<size_t>(n_tokens * q_dim), 4, 2.0f);
        const auto k = random_vector(static_cast<size_t>(n_kv * stride), 5, 2.0f);
        const auto v = random_vector(static_cast<size_t>(n_kv * stride), 6);
        for (auto type : {quant::TensorType::F32, quant::TensorType::F16, quant::TensorType::Q8_0}) {
          if (type == quant::TensorType::Q8_0 && stride % 32 != 0) continue;
          const PagedStore store = make_paged(k, v, n_kv, stride, type, bs);
          const PagedKv kv{store.keys.data(), store.values.data(), type, store.row_bytes, bs, store.table};
          for (CpuPath path : supported_cpu_paths()) {
            std::vector<float> alone(q.size()), run(q.size());
            for (int t = 0; t < n_tokens; ++t) {
              attend_paged_heads(q.data() + t * q_dim, kv, n_kv_first + t, s, 0, n_head_kv, alone.data() + t * q_dim,
                                 path);
            }
            attend_paged_run(q.data(), q_dim, n_tokens, kv, n_kv_first, s, 0, n_head_kv, run.data(), path);
            for (size_t i = 0; i < run.size(); ++i) {
              ASSERT_EQ(run[i], alone[i]) << cpu_path_name(path) << " " << quant::type_info(type).name << " "
                                          << n_tokens << " tokens from " << n_kv_first << " window " << window
                                          << " softcap " << softcap << " @" << i;
            }
          }
        }
      }
    }
  }
}

TEST(Matmul, ReferencePathMatchesNaiveProductOnOddShapes) {
  ThreadPool pool(3);
  for (auto [rows, cols, n_tokens] : std::vector<std::tuple<int64_t, int64_t, int64_t>>{
           {1, 32, 1}, {7, 64, 3}, {33, 96, 5}, {130, 256, 2}}) {
    const auto w = random_vector(static_cast<size_t>(rows * cols), 4);
    const auto x = random_vector(static_cast<size_t>(n_tokens * cols), 5);
    for (auto type : {quant::TensorType::F32, quant::TensorType::Q8_0}) {
      const size_t rb = quant::row_bytes(type, cols);
      std::vector<uint8_t> data(rb * static_cast<size_t>(rows));
      for (int64_t r = 0; r < rows; ++r)
        quant::quantize_row(type, w.data() + r * cols, data.data() + r * rb, cols);
      MatrixView m{type, data.data(), rows, cols, rb};
      std::vector<float> y(static_cast<size_t>(rows * n_tokens));
      matmul(m, x.data(), n_tokens, y.data(), pool, CpuPath::Reference);
      std::vector<float> row(static_cast<size_t>(cols));
      for (int64_t r = 0; r < rows; ++r) {
        quant::dequantize_row(type, m.row(r), row.data(), cols);
        for (int64_t t = 0; t < n_tokens; ++t) {
          double want = 0;
          for (int64_t i = 0; i < cols; ++i)
            want += static_cast<double>(row[static_cast<size_t>(i)]) * x[static_cast<size_t>(t * cols + i)];
          EXPECT_NEAR(y[static_cast<size_t>(t * rows + r)], want,
                      1e-4 * std::sqrt(static_cast<double>(cols)));
        }
      }
    }
  }
}

}  // namespace
}  // namespace pagoda::kernels
