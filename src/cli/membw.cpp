#include "cli/membw.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <utility>

#include "core/error.h"
#include "core/huge_buffer.h"
#include "core/thread_pool.h"

namespace pagoda::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kLine = 64;                  // bytes of a cache line
constexpr size_t kWordsPerLine = kLine / sizeof(uint64_t);

// Eight independent accumulators so the adds never wait on each other and the
// loop is limited by loads alone; GCC vectorizes it at -O2 and above.
uint64_t sum_words(const uint64_t* p, size_t n) {
  uint64_t a[8] = {};
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (size_t j = 0; j < 8; ++j) a[j] += p[i + j];
  }
  for (; i < n; ++i) a[0] += p[i];
  uint64_t s = 0;
  for (uint64_t v : a) s += v;
  return s;
}

// Thread t of nt gets whole cache lines [begin, end) of the buffer so no two
// threads share a line.
void thread_range(size_t n_lines, int t, int nt, size_t& begin, size_t& end) {
  const size_t per = (n_lines + static_cast<size_t>(nt) - 1) / static_cast<size_t>(nt);
  begin = std::min(n_lines, per * static_cast<size_t>(t)) * kWordsPerLine;
  end = std::min(n_lines, per * static_cast<size_t>(t) + per) * kWordsPerLine;
}

}  // namespace

std::vector<MemBandwidth> measure_read_bandwidth(const std::vector<int>& thread_counts, size_t bytes, int passes) {
  if (passes < 1) fail("memory bandwidth: passes must be >= 1");
  const size_t n_lines = bytes / kLine;
  if (n_lines == 0) fail("memory bandwidth: the buffer must be at least ", kLine, " bytes");
  const size_t n_words = n_lines * kWordsPerLine;
  // Huge pages: fewer TLB misses, so the passes measure DRAM rather than
  // page walks (and the same pages as the weights and the KV cache get).
  HugeBuffer buffer(n_words * sizeof(uint64_t), /*zero=*/false);
  auto* words = reinterpret_cast<uint64_t*>(buffer.data());

  const int max_threads = std::max(1, *std::max_element(thread_counts.begin(), thread_counts.end()));
  {
    // Written by as many threads as read it, so on NUMA machines the pages
    // are spread the way the reading threads will find them.
    ThreadPool pool(max_threads);
    pool.run([&](int t, int nt) {
      size_t begin, end;
      thread_range(n_lines, t, nt, begin, end);
      for (size_t i = begin; i < end; ++i) words[i] = i;
    });
  }
  // Words hold 0..n-1, so every pass must sum to n(n-1)/2 (mod 2^64).
  const uint64_t expected = n_words % 2 == 0 ? (n_words / 2) * (n_words - 1) : n_words * ((n_words - 1) / 2);

  std::vector<MemBandwidth> results;
  for (int threads : thread_counts) {
    ThreadPool pool(threads);
    // One slot per cache line so the threads' final stores do not contend.
    std::vector<uint64_t> partial(static_cast<size_t>(threads) * kWordsPerLine);
    MemBandwidth r;
    r.threads = threads;
    // One unmeasured pass wakes the workers and faults in any remaining TLB entries.
    for (int pass = -1; pass < passes; ++pass) {
      const auto t0 = Clock::now();
      pool.run([&](int t, int nt) {
        size_t begin, end;
        thread_range(n_lines, t, nt, begin, end);
        partial[static_cast<size_t>(t) * kWordsPerLine] = sum_words(words + begin, end - begin);
      });
      const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      uint64_t sum = 0;
      for (int t = 0; t < threads; ++t) sum += partial[static_cast<size_t>(t) * kWordsPerLine];
      if (sum != expected) fail("memory bandwidth: the streaming sum read back wrong data (", sum, " != ", expected, ")");
      if (pass >= 0 && seconds > 0) r.pass_gbs.push_back(static_cast<double>(n_words * sizeof(uint64_t)) / seconds / 1e9);
    }
    if (r.pass_gbs.empty()) fail("memory bandwidth: the timer did not advance");
    std::vector<double> sorted = r.pass_gbs;
    std::sort(sorted.begin(), sorted.end());
    r.best_gbs = sorted.back();
    const size_t m = sorted.size();
    r.median_gbs = m % 2 == 1 ? sorted[m / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
    results.push_back(std::move(r));
  }
  return results;
}

}  // namespace pagoda::cli
