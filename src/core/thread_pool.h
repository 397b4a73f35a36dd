#pragma once
// A process-lifetime pool of worker threads. The calling thread takes part
// as worker 0, so ThreadPool(1) runs everything inline. Workers spin briefly
// after a job (decode steps arrive back to back), then sleep on a condition
// variable so an idle process uses no CPU.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pagoda {

class ThreadPool {
 public:
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int size() const { return n_threads_; }

  // Calls job(thread_index, n_threads) once on every thread and returns when
  // all are done. Not re-entrant: one job at a time.
  void run(const std::function<void(int thread_index, int n_threads)>& job);

  // Splits [0, n) into one contiguous range per thread and calls
  // body(begin, end) for each, on whichever thread is free: ranges are taken
  // from a shared counter, so a worker that wakes late (a virtual CPU that
  // lost its time slice) leaves its range to the caller instead of holding
  // it up. Which thread runs a range never changes what it computes.
  void parallel_for(int64_t n, const std::function<void(int64_t begin, int64_t end)>& body);

 private:
  void worker_loop(int thread_index);

  int n_threads_;
  std::vector<std::thread> workers_;
  const std::function<void(int, int)>* job_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> pending_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

// Threads to use when the user gives none: the number of hardware threads.
int default_thread_count();

}  // namespace pagoda
