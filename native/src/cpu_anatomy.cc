#include "cpu_anatomy.h"

#include <sched.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <fstream>
#include <functional>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "errors.h"
#include "hash.h"
#include "host_table.h"
#include "method.h"
#include "thread_pool.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace gb {

const char* const kAnatomyFactors[] = {"none",    "table-fresh",    "table-remap", "table-huge", "buffers",
                                       "threads", "threads-pinned", "wake-spin",   "time",       nullptr};

namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kPad = 4096;

// The table: a memfd's pages mapped at some address (so the same pages can be mapped again elsewhere), or
// anonymous memory with transparent huge pages asked for.
struct Mapping {
  uint8_t* p = nullptr;
  uint64_t bytes = 0;
  int fd = -1;
  Mapping() = default;
  Mapping(const Mapping&) = delete;
  Mapping& operator=(const Mapping&) = delete;
  ~Mapping() {
    if (p) munmap(p, bytes + kPad);
    if (fd >= 0) close(fd);
  }
};

uint8_t* map_or_throw(void* p, const char* what) {
  if (p == MAP_FAILED) throw Error("OOM", std::string("could not map ") + what + " (" + std::strerror(errno) + ")");
  return static_cast<uint8_t*>(p);
}

void fill(uint8_t* p, uint64_t bytes, uint64_t seed, ThreadPool& pool) {
  pool.parallel_for(int64_t(bytes / 8), [&](int64_t b, int64_t e, unsigned) {
    uint64_t* w = reinterpret_cast<uint64_t*>(p);
    for (int64_t i = b; i < e; ++i) w[i] = mix64(seed ^ uint64_t(i)) | 1;  // never zero
  });
}

std::unique_ptr<Mapping> memfd_table(uint64_t bytes, uint64_t seed, ThreadPool& pool) {
  auto m = std::make_unique<Mapping>();
  m->bytes = bytes;
  m->fd = memfd_create("gatherbench-anatomy", 0);
  if (m->fd < 0 || ftruncate(m->fd, off_t(bytes + kPad)) != 0) throw Error("OOM", "could not make the table's memfd");
  m->p = map_or_throw(mmap(nullptr, bytes + kPad, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0), "the table");
  fill(m->p, bytes, seed, pool);
  return m;
}

// The same pages at a new address: mapped before the old mapping goes, so the address differs.
std::unique_ptr<Mapping> remapped(std::unique_ptr<Mapping> old) {
  auto m = std::make_unique<Mapping>();
  m->bytes = old->bytes;
  m->fd = dup(old->fd);
  m->p = map_or_throw(mmap(nullptr, m->bytes + kPad, PROT_READ, MAP_SHARED | MAP_POPULATE, m->fd, 0), "the table again");
  return m;
}

std::unique_ptr<Mapping> huge_table(uint64_t bytes, uint64_t seed, ThreadPool& pool) {
  auto m = std::make_unique<Mapping>();
  m->bytes = bytes;
  m->p = map_or_throw(mmap(nullptr, bytes + kPad, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), "the table");
  madvise(m->p, bytes + kPad, MADV_HUGEPAGE);
  fill(m->p, bytes, seed, pool);
  return m;
}

// A pool of workers that wake by sleeping on a condition variable (as gatherbench's own pool) or by spinning,
// each optionally pinned to one CPU. The calling thread only waits.
class ProbePool {
 public:
  ProbePool(unsigned n, bool spin, const std::vector<int>& pin) : spin_(spin), cpu_(n, -1) {
    for (unsigned i = 0; i < n; ++i) {
      workers_.emplace_back([this, i, n] { loop(i, n); });
      if (!pin.empty()) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(pin[i % pin.size()], &set);
        pthread_setaffinity_np(workers_.back().native_handle(), sizeof set, &set);
      }
    }
  }
  ~ProbePool() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
      gen_.fetch_add(1);
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  void run(const std::function<void(unsigned, unsigned)>& f) {
    job_ = &f;
    left_.store(unsigned(workers_.size()));
    {
      std::lock_guard<std::mutex> l(mu_);
      gen_.fetch_add(1);
    }
    if (!spin_) cv_.notify_all();
    if (spin_) {
      while (left_.load(std::memory_order_acquire) != 0) pause();
    } else {
      std::unique_lock<std::mutex> l(mu_);
      done_.wait(l, [&] { return left_.load() == 0; });
    }
  }
  // The distinct CPUs the workers last ran on.
  std::string placement() const {
    std::set<int> s(cpu_.begin(), cpu_.end());
    std::string out;
    for (int c : s) out += (out.empty() ? "" : ",") + std::to_string(c);
    return out;
  }

 private:
  static void pause() {
#if defined(__x86_64__)
    _mm_pause();
#endif
  }
  void loop(unsigned i, unsigned n) {
    uint64_t seen = 0;
    for (;;) {
      if (spin_) {
        while (gen_.load(std::memory_order_acquire) == seen) pause();
      } else {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return gen_.load() != seen; });
      }
      seen = gen_.load();
      if (stop_) return;
      cpu_[i] = sched_getcpu();
      (*job_)(i, n);
      if (left_.fetch_sub(1, std::memory_order_acq_rel) == 1 && !spin_) {
        std::lock_guard<std::mutex> l(mu_);
        done_.notify_one();
      }
    }
  }
  bool spin_;
  std::vector<int> cpu_;
  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable cv_, done_;
  std::atomic<uint64_t> gen_{0};
  std::atomic<unsigned> left_{0};
  const std::function<void(unsigned, unsigned)>* job_ = nullptr;
  bool stop_ = false;
};

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  std::vector<int> out;
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int c = 0; c < CPU_SETSIZE; ++c)
      if (CPU_ISSET(c, &set)) out.push_back(c);
  if (out.empty()) out.push_back(0);
  return out;
}

std::string read_first_line(const char* file) {
  std::ifstream f(file);
  std::string s;
  std::getline(f, s);
  return s;
}

struct Buffers {
  uint8_t* staging;
  uint8_t* out;
  explicit Buffers(uint64_t bytes) : staging(alloc(bytes)), out(alloc(bytes)) {}
  ~Buffers() {
    std::free(staging);
    std::free(out);
  }
  static uint8_t* alloc(uint64_t bytes) {
    auto* p = static_cast<uint8_t*>(std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096));
    if (!p) throw Error("OOM", "out of host memory for the probe's buffers");
    std::memset(p, 0, bytes);  // faulted in before timing
    return p;
  }
};

}  // namespace

AnatomyResult cpu_anatomy(const AnatomyConfig& c) {
  const std::string& f = c.factor;
  bool known = false;
  for (const char* const* k = kAnatomyFactors; *k; ++k) known |= f == *k;
  if (!known) throw Error("BAD_ARGUMENT", "unknown factor '" + f + "'");
  if (c.row_bytes == 0 || c.row_bytes % 8 != 0 || c.table_bytes < c.row_bytes || c.batch == 0 || c.draws < 1 || c.samples < 1)
    throw Error("BAD_ARGUMENT", "the probe needs rows of a multiple of 8 bytes, a table of at least one row, a batch, draws and samples");
  const std::vector<int> cpus = allowed_cpus();
  const unsigned n = c.threads ? c.threads : unsigned(cpus.size());
  const uint64_t rows = c.table_bytes / c.row_bytes, rb = c.row_bytes, out_bytes = c.batch * rb;
  ThreadPool filler(hardware_threads());
  std::mt19937_64 rng(c.seed);
  // index sets, rotated through each draw's samples
  std::vector<std::vector<int64_t>> sets(4, std::vector<int64_t>(c.batch));
  for (auto& s : sets)
    for (auto& r : s) r = int64_t(rng() % rows);

  AnatomyResult res;
  res.thp = read_first_line("/sys/kernel/mm/transparent_hugepage/enabled");
  res.cpus = unsigned(cpus.size());
  auto table = f == "table-huge" ? huge_table(c.table_bytes, c.seed, filler) : memfd_table(c.table_bytes, c.seed, filler);
  auto buffers = std::make_unique<Buffers>(out_bytes);
  auto pinned = [&] {
    std::vector<int> p = cpus;
    std::shuffle(p.begin(), p.end(), rng);
    return p;
  };
  auto pool = std::make_unique<ProbePool>(n, f == "wake-spin", f == "threads-pinned" ? pinned() : std::vector<int>{});

  for (int d = 0; d < c.draws; ++d) {
    if (d > 0) {  // redraw the suspect, keep the rest
      if (f == "table-fresh") table = memfd_table(c.table_bytes, c.seed, filler);
      else if (f == "table-remap") table = remapped(std::move(table));
      else if (f == "table-huge") table = huge_table(c.table_bytes, c.seed, filler);
      else if (f == "buffers") buffers = std::make_unique<Buffers>(out_bytes);
      else if (f == "threads" || f == "wake-spin") pool.reset(), pool = std::make_unique<ProbePool>(n, f == "wake-spin", std::vector<int>{});
      else if (f == "threads-pinned") pool.reset(), pool = std::make_unique<ProbePool>(n, false, pinned());
      else if (f == "time" && c.wait_seconds > 0) std::this_thread::sleep_for(std::chrono::duration<double>(c.wait_seconds));
    }
    AnatomyDraw draw;
    draw.pages = std::to_string(huge_kib_of_mapping(table->p)) + " kB";
    const uint8_t* tp = table->p;
    for (int s = -1; s < c.samples; ++s) {  // sample -1: untimed, its output checked
      const std::vector<int64_t>& idx = sets[size_t(s + 1) % sets.size()];
      pool->run([&](unsigned i, unsigned parts) {  // every line of the set's rows out of every cache level
        flush_rows(tp, rb, idx.data(), int64_t(c.batch * i / parts), int64_t(c.batch * (i + 1) / parts));
      });
      const auto t0 = Clock::now();
      pool->run([&](unsigned i, unsigned parts) {
        for (uint64_t k = c.batch * i / parts; k < c.batch * (i + 1) / parts; ++k)
          std::memcpy(buffers->staging + k * rb, tp + uint64_t(idx[k]) * rb, rb);
      });
      pool->run([&](unsigned i, unsigned parts) {
        const uint64_t lo = out_bytes * i / parts / 64 * 64, hi = i + 1 == parts ? out_bytes : out_bytes * (i + 1) / parts / 64 * 64;
        std::memcpy(buffers->out + lo, buffers->staging + lo, hi - lo);
      });
      const double sec = std::chrono::duration<double>(Clock::now() - t0).count();
      if (s < 0) {
        for (uint64_t k = 0; k < c.batch; ++k)
          if (std::memcmp(buffers->out + k * rb, tp + uint64_t(idx[k]) * rb, rb) != 0)
            throw Error("SYSTEM", "the probe's output row " + std::to_string(k) + " differs from the table");
        continue;
      }
      draw.seconds.push_back(sec);
    }
    draw.placement = pool->placement();
    res.draws.push_back(std::move(draw));
  }
  return res;
}

}  // namespace gb
