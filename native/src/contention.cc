#include "contention.h"

#include <cstring>
#include <memory>

namespace gb {

Contention::Contention(unsigned threads, uint64_t bytes_per_thread) : t0_(std::chrono::steady_clock::now()) {
  for (unsigned i = 0; i < threads; ++i) {
    threads_.emplace_back([this, bytes_per_thread] {
      const uint64_t half = bytes_per_thread / 2;
      std::unique_ptr<uint8_t[]> buf(new uint8_t[bytes_per_thread]);
      std::memset(buf.get(), 1, bytes_per_thread);
      uint64_t moved = 0;
      while (!stop_.load(std::memory_order_relaxed)) {
        std::memcpy(buf.get() + half, buf.get(), half);
        std::memcpy(buf.get(), buf.get() + half, half);
        moved += 2 * half;
      }
      bytes_ += moved;
    });
  }
}

uint64_t Contention::stop() {
  if (!stopped_) {
    stop_ = true;
    for (auto& t : threads_) t.join();
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    stopped_ = true;
  }
  return bytes_.load();
}

Contention::~Contention() { stop(); }

}  // namespace gb
