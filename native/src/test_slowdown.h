// GATHERBENCH_TEST_SLOWDOWN_US adds that many microseconds inside every timed
// region: a planted regression for testing regression gates end to end. The
// harness flags every run made with it; never set it for real measurements.
#pragma once
#include <chrono>
#include <cstdlib>

namespace gb {

inline double test_slowdown_us() {
  static const double us = [] {
    const char* s = std::getenv("GATHERBENCH_TEST_SLOWDOWN_US");
    return s ? std::atof(s) : 0.0;
  }();
  return us;
}

inline void busy_wait_us(double us) {
  if (us <= 0) return;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double, std::micro>(us);
  while (std::chrono::steady_clock::now() < end) {}
}

}  // namespace gb
