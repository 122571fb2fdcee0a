// Test switches, read from the environment once. The harness flags every run
// made with one; never set them for real measurements.
//   GATHERBENCH_TEST_SLOWDOWN_US=<us>   adds a spin inside every timed region
//   GATHERBENCH_TEST_SLOWDOWN_PCT=<p>   stretches every timed region by p% of itself: host-timed regions
//                                       busy-wait it, GPU-timed samples have their event time scaled
//   GATHERBENCH_TEST_CORRUPT=first|<n>  flips a byte of the output (row batch/2) after
//                                       each set's first, verified run, or after timed sample n
//   GATHERBENCH_TEST_CUDA_ERROR=<gpu>   that GPU of a multi-GPU point fails with a CUDA error
//   GATHERBENCH_TEST_THROW_IN_POOL=1    a host gather throws on a pool worker
//   GATHERBENCH_TEST_SAME_DEVICE=1      every multi-GPU worker runs on the first GPU
//   GATHERBENCH_TEST_THREAD_FAIL_AT=<i> a thread pool's i-th thread (1-based, the caller being 0) cannot be made
//   GATHERBENCH_TEST_RESERVE_FAIL=<n>   the process's first n reservations of a point's index sets run out of
//                                       memory, as a device reservation that does not fit
//   GATHERBENCH_TEST_UNORDERED_UPLOAD=1 cached-zerocopy uploads its cache's rows with a plain cudaMemcpy,
//                                       unordered with the fill kernel on the method's stream (the bug of #34)
#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

namespace gb {

inline const char* test_env(const char* name) {
  const char* s = std::getenv(name);
  return s && *s ? s : nullptr;
}

inline double test_slowdown_us() {
  static const double us = [] {
    const char* s = test_env("GATHERBENCH_TEST_SLOWDOWN_US");
    return s ? std::atof(s) : 0.0;
  }();
  return us;
}

inline double test_slowdown_pct() {
  static const double pct = [] {
    const char* s = test_env("GATHERBENCH_TEST_SLOWDOWN_PCT");
    return s ? std::atof(s) : 0.0;
  }();
  return pct;
}

// -2: off, -1: after each set's first (verified) run, n >= 0: after timed sample n.
// Read at each use (not cached like the slowdowns) so a test can set it per point.
inline int64_t test_corrupt_sample() {
  const char* s = test_env("GATHERBENCH_TEST_CORRUPT");
  if (!s) return -2;
  return std::strcmp(s, "first") == 0 ? -1 : int64_t(std::atoll(s));
}

inline int test_cuda_error_gpu() {
  const char* s = test_env("GATHERBENCH_TEST_CUDA_ERROR");
  return s ? std::atoi(s) : -1;
}

inline int test_thread_fail_at() {
  const char* s = test_env("GATHERBENCH_TEST_THREAD_FAIL_AT");
  return s ? std::atoi(s) : -1;
}

// True for the process's first n calls (GATHERBENCH_TEST_RESERVE_FAIL=n), then false: the reservation fails
// n times, then succeeds, so a test sees both the failure and the retry after it.
inline bool test_reserve_fails_now() {
  static std::atomic<int64_t> calls{0};
  const char* s = test_env("GATHERBENCH_TEST_RESERVE_FAIL");
  return s && calls.fetch_add(1) < std::atoll(s);
}

inline bool test_unordered_upload() { return test_env("GATHERBENCH_TEST_UNORDERED_UPLOAD") != nullptr; }

inline bool test_throw_in_pool() { return test_env("GATHERBENCH_TEST_THROW_IN_POOL") != nullptr; }

inline bool test_same_device() {
  const char* s = test_env("GATHERBENCH_TEST_SAME_DEVICE");
  return s && *s == '1';
}

inline void busy_wait_us(double us) {
  if (us <= 0) return;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double, std::micro>(us);
  while (std::chrono::steady_clock::now() < end) {}
}

// The planted host-side slowdown for a region that took `seconds` so far.
inline void planted_host_delay(double seconds) {
  busy_wait_us(test_slowdown_us() + seconds * 1e6 * test_slowdown_pct() / 100);
}

// A GPU-timed sample's measured seconds with GATHERBENCH_TEST_SLOWDOWN_PCT applied: exactly p% more.
inline double planted_stretch(double seconds) { return seconds * (1 + test_slowdown_pct() / 100); }

}  // namespace gb
