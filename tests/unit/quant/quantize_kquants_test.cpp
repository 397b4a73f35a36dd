// Quantizers (K-quants and, for comparison, the legacy types): the error of quantize -> dequantize (the reference
// dequantizers, which match the ecosystem bit for bit) stays within a bound
// per type, ordered by bits per weight, and an importance vector moves the
// error away from the columns it marks.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <span>
#include <vector>

#include "quant/dequantize.h"

namespace pagoda::quant {
namespace {

std::vector<float> gaussian(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(rng);
  // A few outliers, as real weight rows have.
  for (size_t i = 0; i < n; i += 97) v[i] *= 4.0f;
  return v;
}

// sqrt(mean squared error) / sqrt(mean square), optionally weighted.
double relative_rmse(TensorType type, const std::vector<float>& x, const float* importance = nullptr,
                     const std::vector<float>* measure = nullptr) {
  const auto n = static_cast<int64_t>(x.size());
  std::vector<uint8_t> q(row_bytes(type, n));
  quantize_row_weighted(type, x.data(), q.data(), n, importance);
  std::vector<float> y(x.size());
  dequantize_row(type, q.data(), y.data(), n);
  double err = 0, ref = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double w = measure ? (*measure)[i] : 1.0;
    err += w * (y[i] - x[i]) * (y[i] - x[i]);
    ref += w * x[i] * x[i];
  }
  return std::sqrt(err / ref);
}

struct ErrorBound {
  TensorType type;
  double bound;
};

// Each type's error is under its bound and under the previous type's (the
// cases go from fewer to more bits per weight).
void expect_bounded_and_ordered(std::span<const ErrorBound> cases, const std::vector<float>& x) {
  double previous = 1.0;
  for (const auto& c : cases) {
    const double e = relative_rmse(c.type, x);
    std::cout << "[ INFO     ] " << type_info(c.type).name << " relative RMSE " << e << "\n";
    EXPECT_LT(e, c.bound) << type_info(c.type).name;
    EXPECT_LT(e, previous) << type_info(c.type).name << " should beat the type with fewer bits";
    previous = e;
  }
}

TEST(QuantizeKQuants, ErrorWithinBoundsAndOrderedByBits) {
  const std::vector<float> x = gaussian(256 * 64, 1);
  // Bounds: measured values (Q2_K 0.297, Q3_K 0.166, Q4_K 0.081, Q5_K 0.040,
  // Q6_K 0.020 on this data) with ~20-35% headroom; the legacy types of similar
  // size for comparison.
  const ErrorBound cases[] = {{TensorType::Q2_K, 0.40}, {TensorType::Q3_K, 0.21}, {TensorType::Q4_K, 0.10},
               {TensorType::Q5_K, 0.05}, {TensorType::Q6_K, 0.025}};
  expect_bounded_and_ordered(cases, x);
  // More bits per weight than the legacy type of the same nominal width
  // buys less error: Q4_K (4.5 bpw) beats Q4_0 (4.5 bpw), Q5_K beats Q5_0.
  EXPECT_LT(relative_rmse(TensorType::Q4_K, x), relative_rmse(TensorType::Q4_0, x));
  EXPECT_LT(relative_rmse(TensorType::Q5_K, x), relative_rmse(TensorType::Q5_0, x));
}

TEST(QuantizeLegacy, ErrorWithinBoundsAndOrderedByBits) {
  const std::vector<float> x = gaussian(256 * 64, 3);
  // Measured on this data: Q4_0 0.1035, Q4_1 0.0846, Q5_0 0.0511,
  // Q5_1 0.0409, Q8_0 0.0064; bounds ~20% above.
  const ErrorBound cases[] = {{TensorType::Q4_0, 0.125}, {TensorType::Q4_1, 0.1}, {TensorType::Q5_0, 0.062},
               {TensorType::Q5_1, 0.05}, {TensorType::Q8_0, 0.008}};
  expect_bounded_and_ordered(cases, x);
}

TEST(QuantizeKQuants, ImportanceLowersTheErrorWhereItPoints) {
  const std::vector<float> x = gaussian(256 * 32, 2);
  // Every 8th column matters 100x more.
  std::vector<float> importance(x.size(), 1.0f);
  for (size_t i = 0; i < x.size(); i += 8) importance[i] = 100.0f;
  for (const TensorType t : {TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K}) {
    const double plain = relative_rmse(t, x, nullptr, &importance);
    const double weighted = relative_rmse(t, x, importance.data(), &importance);
    EXPECT_LT(weighted, plain) << type_info(t).name;
  }
}

TEST(QuantizeKQuants, ConstantAndZeroBlocks) {
  for (const TensorType t : {TensorType::Q2_K, TensorType::Q3_K, TensorType::Q4_K, TensorType::Q5_K, TensorType::Q6_K}) {
    for (const float v : {0.0f, 0.5f, -2.0f}) {
      const std::vector<float> x(256, v);
      std::vector<uint8_t> q(row_bytes(t, 256));
      quantize_row(t, x.data(), q.data(), 256);
      std::vector<float> y(256);
      dequantize_row(t, q.data(), y.data(), 256);
      for (float e : y) EXPECT_NEAR(e, v, std::fabs(v) * 0.05 + 1e-6) << type_info(t).name << " " << v;
    }
  }
}

}  // namespace
}  // namespace pagoda::quant
