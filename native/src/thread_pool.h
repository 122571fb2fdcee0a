// A persistent pool of worker threads. Creating threads per sample would add
// tens of microseconds to every timed CPU gather, so workers live as long as
// the pool and are handed work through a generation counter.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <time.h>
#include <vector>

namespace gb {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return unsigned(workers_.size()) + 1; }
  // Splits [0, n) into size() contiguous ranges; fn(begin, end, worker) runs
  // on the workers and the calling thread; returns when all are done. An
  // exception thrown by fn on any thread is rethrown here (the first one),
  // after every thread has left fn. Calls from several threads take turns.
  void parallel_for(int64_t n, const std::function<void(int64_t, int64_t, unsigned)>& fn);
  // CPU time the worker threads have used (the caller's own thread excluded).
  double worker_cpu_seconds() const;
  // New worker threads in place of the old (as many): a draw of where the scheduler puts them, for the CPU
  // path's draws (harness/runner/draws.ts). Not while a parallel_for runs.
  void respawn();

 private:
  void spawn(unsigned threads);
  void worker_loop(unsigned id);
  void stop_all();
  std::vector<std::thread> workers_;
  std::vector<clockid_t> clocks_;
  std::mutex call_mu_;  // one parallel_for at a time (tables fill on libuv threads, indices on the JS thread)
  std::mutex mu_;
  std::condition_variable start_cv_, done_cv_;
  const std::function<void(int64_t, int64_t, unsigned)>* job_ = nullptr;
  int64_t n_ = 0;
  uint64_t generation_ = 0;
  unsigned pending_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

unsigned hardware_threads();
// CPU time of the calling thread.
double thread_cpu_seconds();

}  // namespace gb
