#include "contention.h"

#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <system_error>

#include "errors.h"

namespace gb {

// Every buffer is allocated before any thread starts, and a thread that cannot be made stops the ones made
// before it: an exception inside a thread, or a joinable thread destroyed, would end the whole process.
Contention::Contention(unsigned threads, uint64_t bytes_per_thread) : t0_(std::chrono::steady_clock::now()) {
  std::vector<std::unique_ptr<uint8_t[]>> bufs;
  try {
    for (unsigned i = 0; i < threads; ++i) bufs.emplace_back(new uint8_t[bytes_per_thread]);
  } catch (const std::bad_alloc&) {
    throw Error("OOM", "contention: cannot allocate " + human_bytes(double(bytes_per_thread)) + " for each of " + std::to_string(threads) + " threads");
  }
  try {
    for (unsigned i = 0; i < threads; ++i) {
      threads_.emplace_back([this, bytes_per_thread, buf = std::move(bufs[i])] {
        const uint64_t half = bytes_per_thread / 2;
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
  } catch (const std::system_error& e) {
    stop();
    throw Error("SYSTEM", "contention: could not create thread " + std::to_string(threads_.size() + 1) + " of " + std::to_string(threads) + " (" + e.what() + ")");
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
