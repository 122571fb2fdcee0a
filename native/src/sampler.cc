#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "errors.h"
#include "hash.h"
#include "method.h"
#include "test_switches.h"

namespace gb {

using Clock = std::chrono::steady_clock;
static double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Set k draws its indices from its own seed, so a rerun reproduces them.
uint64_t index_set_seed(uint64_t seed, uint64_t k) { return mix64(seed ^ mix64(k + 1)); }

// The CPU's last-level cache (sysfs, read once), 32 MiB where it cannot be read.
static uint64_t read_last_level_cache_bytes() {
  uint64_t best = 0;
  for (int i = 0; i < 8; ++i) {
    std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/size");
    std::string s;
    if (!(f >> s) || s.empty()) continue;
    uint64_t v = std::strtoull(s.c_str(), nullptr, 10);
    if (s.back() == 'K') v <<= 10;
    if (s.back() == 'M') v <<= 20;
    best = std::max(best, v);
  }
  return best ? best : 32ull << 20;
}

uint64_t last_level_cache_bytes() {
  static const uint64_t bytes = read_last_level_cache_bytes();
  return bytes;
}

// Bytes read after a set's rows before they count as gone from the last-level cache: twice its size (the
// rotation of uvm and the peers waits this long for a set to come back).
static uint64_t cpu_evict_bytes() { return 2 * last_level_cache_bytes(); }

int index_set_count(uint64_t out_bytes, bool cold_after_flush) {
  const uint64_t out = std::max<uint64_t>(out_bytes, 1);
  const uint64_t budget = 256ull << 20;  // verifying a set reads its output once
  // Where the flush before each sample evicts everything a set's reads leave (GPU caches and the translations
  // of the pages read: device-resident, zero-copy and copy engines over the pinned table, pinned-memcpy; a CPU
  // gather's rows, evicted line by line), a few sets. Elsewhere a set comes back only after twice the
  // last-level cache of other sets' rows was gathered (with 4 sets and no eviction, a CPU gather of 1024-16384
  // rows read them from its cache after the first round: H100, cpu-gather-memcpy up to 2x faster). uvm keeps this rotation: what its
  // samples read depends on how many sets the point's first runs faulted in (1024 rows, H100: 4 sets read
  // in 5.5 us, as device-resident; fresh sets in 5-45 us), and the flush cannot evict its translations
  // without faulting pages in itself.
  // Sets are drawn and verified when first used, so a point pays only for the ones its samples reach.
  const uint64_t want = cold_after_flush ? kFewSets : (cpu_evict_bytes() + out - 1) / out;
  return int(std::clamp<uint64_t>(want, 2, std::max<uint64_t>(2, std::min<uint64_t>(budget / out, 4096))));
}

// Evicts the rows of one index set from every level of the CPU's caches (clflushopt or clflush on x86, dc civac
// on Arm: the lines' owner writes them back and every cache drops them), so a CPU gather's timed sample reads
// its rows from DRAM whatever ran before. The cost follows the set's rows, not the last-level cache: a 480 MiB
// L3 (a 2-vCPU VM) made the old eviction, a read of twice the LLC, 46-48% of a host-only run. The table is
// only read, so no dirty line is written back inside the next timed sample.
#if defined(__x86_64__)
__attribute__((target("clflushopt"))) static void flush_line_opt(const void* p) { _mm_clflushopt(const_cast<void*>(p)); }
static void flush_line(const void* p) { _mm_clflush(p); }
#endif

void flush_rows(const uint8_t* base, uint64_t row_bytes, const int64_t* idx, int64_t b, int64_t e) {
#if defined(__x86_64__)
  static const auto line_flush = __builtin_cpu_supports("clflushopt") ? flush_line_opt : flush_line;
#endif
  for (int64_t k = b; k < e; ++k) {
    const uintptr_t lo = reinterpret_cast<uintptr_t>(base + uint64_t(idx[k]) * row_bytes) & ~uintptr_t(63);
    const uintptr_t hi = reinterpret_cast<uintptr_t>(base + uint64_t(idx[k]) * row_bytes + row_bytes);
    for (uintptr_t a = lo; a < hi; a += 64) {
#if defined(__x86_64__)
      line_flush(reinterpret_cast<const void*>(a));
#elif defined(__aarch64__)
      asm volatile("dc civac, %0" ::"r"(a) : "memory");
#else
#error "flush_rows: no cache-line flush for this architecture"
#endif
    }
  }
#if defined(__x86_64__)
  _mm_sfence();
#elif defined(__aarch64__)
  asm volatile("dsb ish" ::: "memory");
#endif
}

void evict_rows(const HostTable& t, const std::vector<int64_t>& idx, ThreadPool& pool) {
  pool.parallel_for(int64_t(idx.size()), [&](int64_t b, int64_t e, unsigned) { flush_rows(t.data(), t.row_bytes(), idx.data(), b, e); });
}

// A poison byte that changes per sample: an unwritten output byte keeps it
// and fails the checksum, whatever an earlier sample left there.
static uint8_t poison_byte(uint64_t sample_no) { return uint8_t(0xA5 ^ (sample_no * 0x3B)); }

ChunkResult run_chunk(Method& m, const HostTable& t, const MethodConfig& c, IndexSets& sets, const ChunkRequest& r,
                      ThreadPool& pool) {
  m.bind_thread();
  ChunkResult out;
  ChunkTime& time = out.time;
  // A CPU gather's rows are evicted before each timed sample: like the methods the flush leaves cold, it needs
  // few sets.
  const int n_sets = index_set_count(c.batch * t.row_bytes() * uint64_t(c.gpus), c.flush && (m.cold_after_flush() || m.reads_table_on_cpu()));
  if (sets.idx.empty()) {
    // Reserve first: if it throws (out of device memory), the sets stay empty and the next chunk reserves
    // again, where filling them first let the next chunk skip the reservation and load into nothing.
    if (test_reserve_fails_now())
      throw Error("OOM", "out of memory reserving the point's index sets (planted: GATHERBENCH_TEST_RESERVE_FAIL)");
    m.reserve_sets(n_sets);
    sets.idx.assign(n_sets, {});
    sets.reference.assign(n_sets, 0);
    sets.ready.assign(n_sets, false);
  }
  auto fail = [&](Verdict v) {
    out.failed = true;
    out.verdict = std::move(v);
    return false;
  };
  const int64_t corrupt = test_corrupt_sample();
  const int64_t corrupt_row = int64_t(c.batch / 2);
  // A set's first use: draw, load, run once untimed and verify thoroughly.
  auto ready = [&](int k) {
    if (sets.ready[k]) return true;
    auto t0 = Clock::now();
    std::vector<int64_t>& idx = sets.idx[k];
    idx.resize(c.batch);
    generate_indices(c.dist, t.rows(), c.seed, index_set_seed(c.seed, uint64_t(k)), idx, pool);
    m.load_set(k, idx);
    time.setup += since(t0);
    t0 = Clock::now();
    m.poison(poison_byte(~uint64_t(k)));
    m.run(k, idx);
    if (corrupt == -1) m.corrupt_row_for_test(corrupt_row);
    time.warmup += since(t0);
    t0 = Clock::now();
    sets.reference[k] = m.reference_checksum(k, idx, pool);
    Verdict v = m.verify(k, idx, sets.reference[k]);
    time.verify += since(t0);
    out.rows_verified += v.rows_checked;
    out.verdict = v;
    if (!v.ok) return fail(v);
    sets.ready[k] = true;
    return true;
  };
  for (int k = 0; k < n_sets && k < r.warmup; ++k)
    if (!ready(k)) return out;
  for (int w = n_sets; w < r.warmup; ++w) {  // extra warm-up runs past one per set
    auto t0 = Clock::now();
    m.run(w % n_sets, sets.idx[w % n_sets]);
    time.warmup += since(t0);
  }
  // Every set this chunk times is drawn and verified before any is timed. (Verification derives the expected
  // rows without reading the table; a CPU gather's rows are evicted before each of its timed samples below.)
  for (int s = 0; s < r.samples; ++s) {
    const int k = int((r.first_sample + uint64_t(s)) % uint64_t(n_sets));
    if (!sets.ready[k] && !ready(k)) return out;
  }
  for (int s = 0; s < r.samples; ++s) {
    const uint64_t no = r.first_sample + uint64_t(s);
    const int k = int(no % uint64_t(n_sets));
    auto t0 = Clock::now();
    m.poison(poison_byte(no));
    m.reset_before_sample();
    if (c.flush) m.flush();
    if (c.flush && m.reads_table_on_cpu()) m.evict_rows_read(k, sets.idx[k]);  // warm samples (sampling.flush: false) keep them
    time.flush += since(t0);
    t0 = Clock::now();
    Sample smp = m.run(k, sets.idx[k]);
    time.launch += std::max(0.0, since(t0) - smp.total - smp.also_timed);
    time.timed += smp.total + smp.also_timed;
    if (corrupt == int64_t(no)) m.corrupt_row_for_test(corrupt_row);
    t0 = Clock::now();
    const bool same = m.checksum() == sets.reference[k];
    ++out.checksums;
    if (!same) {
      // Name the row: the thorough check of this output.
      Verdict v = m.verify(k, sets.idx[k], sets.reference[k]);
      time.verify += since(t0);
      if (v.ok) {
        v.ok = false;
        v.detail = "the output's checksum differs from the reference of its index set";
      }
      v.detail = "timed sample " + std::to_string(no) + ": " + v.detail;
      return (fail(v), out);
    }
    time.verify += since(t0);
    out.samples.push_back(smp);
  }
  return out;
}

SoakResult soak(Method& m, const HostTable&, const MethodConfig&, IndexSets& sets, double seconds, ThreadPool& pool) {
  m.bind_thread();
  std::vector<int> verified;
  for (size_t k = 0; k < sets.ready.size(); ++k)
    if (sets.ready[k]) verified.push_back(int(k));
  if (verified.empty()) throw Error("BAD_ARGUMENT", "soak needs index sets verified by a run first");
  SoakResult r;
  const double cpu0 = thread_cpu_seconds() + pool.worker_cpu_seconds() + m.own_threads_cpu_seconds();
  const auto t0 = Clock::now();
  do {
    const int k = verified[r.iterations % verified.size()];
    r.busy_seconds += m.soak_run(k, sets.idx[k]).total;
    ++r.iterations;
    r.seconds = since(t0);
  } while (r.seconds < seconds);
  r.cpu_seconds = thread_cpu_seconds() + pool.worker_cpu_seconds() + m.own_threads_cpu_seconds() - cpu0;
  return r;
}

}  // namespace gb
