#include "core/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace pagoda {
namespace {

// How long a thread spins before it sleeps (workers) or yields (the
// caller): long enough to catch the next job of a decode step, whose
// serial parts (sampling 16 sequences, the engine's bookkeeping) can take a
// few hundred microseconds, short enough not to burn a core between
// requests. Measured in time, not in pause instructions, whose length
// differs tenfold between CPUs: a count of 20000 let the worker fall asleep
// inside 16-sequence steps, and the caller then ran most jobs alone (the
// worker idled 15% of the step).
constexpr auto kSpinTime = std::chrono::milliseconds(2);

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Spins until done() or kSpinTime has passed; true if done().
template <typename Done>
bool spin_until(Done&& done) {
  constexpr int kChecksPerClockRead = 64;
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (;;) {
    for (int i = 0; i < kChecksPerClockRead; ++i) {
      if (done()) return true;
      cpu_relax();
    }
    if (std::chrono::steady_clock::now() >= deadline) return done();
  }
}

}  // namespace

int default_thread_count() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

ThreadPool::ThreadPool(int n_threads) : n_threads_(std::max(1, n_threads)) {
  workers_.reserve(static_cast<size_t>(n_threads_ - 1));
  for (int i = 1; i < n_threads_; ++i) workers_.emplace_back([this, i] { worker_loop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
    generation_.fetch_add(1);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

void ThreadPool::run(const std::function<void(int, int)>& job) {
  if (n_threads_ == 1) {
    job(0, 1);
    return;
  }
  job_ = &job;
  pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  job(0, n_threads_);
  // Spin while the workers are likely running; yield once they seem to be
  // descheduled (an oversubscribed machine), so they get the core back.
  const auto finished = [&] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!spin_until(finished)) {
    while (!finished()) std::this_thread::yield();
  }
  job_ = nullptr;
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t)>& body) {
  if (n <= 0) return;
  if (n_threads_ == 1) {
    body(0, n);
    return;
  }
  // One thread's share per range: finer ranges measured slower for
  // single-sequence decode (each thread's weight stream breaks up), and a
  // late thread is still covered: whoever is free takes the next range.
  const int64_t chunk = std::max<int64_t>(1, (n + n_threads_ - 1) / n_threads_);
  std::atomic<int64_t> next{0};
  run([&](int, int) {
    for (int64_t begin = next.fetch_add(chunk, std::memory_order_relaxed); begin < n;
         begin = next.fetch_add(chunk, std::memory_order_relaxed)) {
      body(begin, std::min(n, begin + chunk));
    }
  });
}

void ThreadPool::worker_loop(int thread_index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t gen = seen;
    spin_until([&] { return (gen = generation_.load(std::memory_order_acquire)) != seen; });
    if (gen == seen) {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      gen = generation_.load(std::memory_order_acquire);
    }
    seen = gen;
    if (stop_.load()) return;
    (*job_)(thread_index, n_threads_);
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace pagoda
