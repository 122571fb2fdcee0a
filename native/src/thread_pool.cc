#include "thread_pool.h"

#include <pthread.h>

#include <string>
#include <system_error>

#include "errors.h"
#include "test_switches.h"

namespace gb {

unsigned hardware_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

ThreadPool::ThreadPool(unsigned threads) { spawn(threads == 0 ? 1 : threads); }

void ThreadPool::spawn(unsigned threads) {
  try {
    for (unsigned i = 1; i < threads; ++i) {
      if (int(i) == test_thread_fail_at()) throw std::system_error(std::make_error_code(std::errc::resource_unavailable_try_again), "planted");
      workers_.emplace_back([this, i] { worker_loop(i); });
      clockid_t c;
      if (pthread_getcpuclockid(workers_.back().native_handle(), &c) == 0) clocks_.push_back(c);
    }
  } catch (const std::system_error& e) {
    // The destructor does not run for a constructor that throws: stop and join the threads made so far here,
    // or they wait on start_cv_ for ever (and destroying a joinable std::thread terminates the process).
    stop_all();
    throw Error("SYSTEM", "could not create CPU thread " + std::to_string(workers_.size() + 1) + " of " + std::to_string(threads) + " (" + e.what() + ")");
  }
}

void ThreadPool::respawn() {
  std::lock_guard<std::mutex> call(call_mu_);
  const unsigned n = size();
  stop_all();
  workers_.clear();
  clocks_.clear();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = false;
    generation_ = 0;  // a new worker waits for a generation other than 0
  }
  spawn(n);
}

void ThreadPool::stop_all() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  start_cv_.notify_all();
  for (auto& t : workers_)
    if (t.joinable()) t.join();
}

static double seconds_of(clockid_t c) {
  timespec ts{};
  return clock_gettime(c, &ts) == 0 ? double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9 : 0.0;
}

double thread_cpu_seconds() { return seconds_of(CLOCK_THREAD_CPUTIME_ID); }

double ThreadPool::worker_cpu_seconds() const {
  double s = 0;
  for (clockid_t c : clocks_) s += seconds_of(c);
  return s;
}

ThreadPool::~ThreadPool() { stop_all(); }

static void range_of(int64_t n, unsigned parts, unsigned i, int64_t& b, int64_t& e) {
  b = n * int64_t(i) / int64_t(parts);
  e = n * int64_t(i + 1) / int64_t(parts);
}

void ThreadPool::worker_loop(unsigned id) {
  uint64_t seen = 0;
  for (;;) {
    const std::function<void(int64_t, int64_t, unsigned)>* job;
    int64_t n;
    {
      std::unique_lock<std::mutex> lock(mu_);
      start_cv_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
      n = n_;
    }
    int64_t b, e;
    range_of(n, size(), id, b, e);
    std::exception_ptr err;
    try {
      if (b < e) (*job)(b, e, id);
    } catch (...) {
      err = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (err && !error_) error_ = err;
      if (--pending_ == 0) done_cv_.notify_one();
    }
  }
}

void ThreadPool::parallel_for(int64_t n, const std::function<void(int64_t, int64_t, unsigned)>& fn) {
  if (workers_.empty() || n <= 1) {
    if (n > 0) fn(0, n, 0);
    return;
  }
  std::lock_guard<std::mutex> call(call_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    n_ = n;
    pending_ = unsigned(workers_.size());
    error_ = nullptr;
    ++generation_;
  }
  start_cv_.notify_all();
  int64_t b, e;
  range_of(n, size(), 0, b, e);
  std::exception_ptr err;
  try {
    if (b < e) fn(b, e, 0);
  } catch (...) {
    err = std::current_exception();
  }
  // Workers still run fn (which lives on the caller's stack): wait for them
  // whether or not the caller's share threw.
  std::unique_lock<std::mutex> lock(mu_);
  done_cv_.wait(lock, [&] { return pending_ == 0; });
  if (!err) err = error_;
  error_ = nullptr;
  lock.unlock();
  if (err) std::rethrow_exception(err);
}

}  // namespace gb
