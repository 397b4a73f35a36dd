#include "core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace pagoda {
namespace {

TEST(ThreadPool, ParallelForCoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    ThreadPool pool(threads);
    for (int64_t n : {0, 1, 2, 7, 100, 1001}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      pool.parallel_for(n, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (int64_t i = 0; i < n; ++i) EXPECT_EQ(hits[static_cast<size_t>(i)].load(), 1) << threads << " " << n;
    }
  }
}

TEST(ThreadPool, RunCallsEveryThreadWithItsIndex) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> seen(4);
  for (int rep = 0; rep < 1000; ++rep) {
    pool.run([&](int t, int nt) {
      EXPECT_EQ(nt, 4);
      seen[static_cast<size_t>(t)]++;
    });
  }
  for (auto& s : seen) EXPECT_EQ(s.load(), 1000);
}

TEST(ThreadPool, SurvivesIdlePeriodsAndDestruction) {
  ThreadPool pool(3);
  std::atomic<int> total{0};
  for (int rep = 0; rep < 5; ++rep) {
    pool.parallel_for(30, [&](int64_t b, int64_t e) { total += static_cast<int>(e - b); });
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // workers go to sleep
  }
  EXPECT_EQ(total.load(), 150);
}

}  // namespace
}  // namespace pagoda
