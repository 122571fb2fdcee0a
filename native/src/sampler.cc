#include <chrono>

#include "errors.h"
#include "hash.h"
#include "method.h"

namespace gb {

// Each sample draws fresh indices from its own seed, so repeated samples do
// not replay one batch out of a warm cache, and a rerun reproduces them.
static uint64_t sample_seed(uint64_t seed, uint64_t sample) { return mix64(seed ^ mix64(sample + 1)); }

ChunkResult run_chunk(Method& m, const HostTable& t, const MethodConfig& c, const ChunkRequest& r, ThreadPool& pool) {
  m.bind_thread();
  ChunkResult out;
  std::vector<int64_t> idx(c.batch);
  auto one = [&](uint64_t sample_no, bool keep) {
    generate_indices(c.dist, t.rows(), sample_seed(c.seed, sample_no), idx, pool);
    // A poison byte that changes per sample: an unwritten output byte keeps it
    // and fails the comparison, whatever an earlier sample left there.
    m.poison(uint8_t(0xA5 ^ (sample_no * 0x3B)));
    Sample s = m.run_once(idx);
    Verdict v = m.verify(idx);
    out.rows_verified += v.rows_checked;
    out.verdict = v;
    if (!v.ok) {
      out.failed = true;
      return false;
    }
    if (keep) out.samples.push_back(s);
    return true;
  };
  for (int w = 0; w < r.warmup; ++w)
    if (!one(~uint64_t(w), false)) return out;
  for (int k = 0; k < r.samples; ++k)
    if (!one(r.first_sample + uint64_t(k), true)) return out;
  return out;
}

}  // namespace gb

namespace gb {

SoakResult soak(Method& m, const HostTable& t, const MethodConfig& c, double seconds, ThreadPool& pool) {
  m.bind_thread();
  constexpr int kSets = 4;
  std::vector<std::vector<int64_t>> sets(kSets, std::vector<int64_t>(c.batch));
  for (int k = 0; k < kSets; ++k) generate_indices(c.dist, t.rows(), sample_seed(c.seed, uint64_t(k)), sets[k], pool);
  SoakResult r;
  const double cpu0 = thread_cpu_seconds() + pool.worker_cpu_seconds() + m.own_threads_cpu_seconds();
  const auto t0 = std::chrono::steady_clock::now();
  do {
    r.busy_seconds += m.run_once(sets[r.iterations % kSets]).total;
    ++r.iterations;
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  } while (r.seconds < seconds);
  r.cpu_seconds = thread_cpu_seconds() + pool.worker_cpu_seconds() + m.own_threads_cpu_seconds() - cpu0;
  return r;
}

}  // namespace gb
