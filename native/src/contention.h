// Background CPU load for the contention axis: N threads streaming through
// their own buffers (memory-bound, like a data loader or a co-located job)
// while a point is measured.
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace gb {

class Contention {
 public:
  Contention(unsigned threads, uint64_t bytes_per_thread);
  ~Contention();
  // Stops the threads; returns bytes they moved.
  uint64_t stop();
  double seconds() const { return seconds_; }
  unsigned threads() const { return unsigned(threads_.size()); }

 private:
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> bytes_{0};
  double seconds_ = 0;
  bool stopped_ = false;
  std::chrono::steady_clock::time_point t0_;
};

}  // namespace gb
