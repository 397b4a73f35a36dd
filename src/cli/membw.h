#pragma once
// Memory read bandwidth of this machine, measured the way decode uses memory:
// every thread streams through its own contiguous part of a buffer far larger
// than the caches. `pagoda bench --membw` divides it by the weight bytes read
// per token to get the bandwidth bound of token generation.
#include <cstddef>
#include <vector>

namespace pagoda::cli {

struct MemBandwidth {
  int threads = 0;
  double best_gbs = 0;    // 1e9 bytes per second, fastest pass
  double median_gbs = 0;
  std::vector<double> pass_gbs;
};

// One result per entry of thread_counts, in that order. The buffer is
// allocated once (bytes, rounded down to whole cache lines) and freed before
// returning. pagoda::Error if a pass's sum disagrees with the written pattern,
// which also keeps the compiler from dropping the reads.
std::vector<MemBandwidth> measure_read_bandwidth(const std::vector<int>& thread_counts, size_t bytes, int passes);

}  // namespace pagoda::cli
