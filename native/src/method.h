// One access path ("method") measured over a HostTable. The sampling loop in
// sampler.cc is shared: generate indices, poison the output, run once (timed
// by the method itself: CUDA events on the GPU, steady_clock on the host),
// verify against the host table, and only then keep the time.
#pragma once
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host_table.h"
#include "indices.h"
#include "thread_pool.h"

namespace gb {

struct MethodConfig {
  std::string method;
  uint64_t batch = 1;
  int elem_bytes = 4;
  unsigned threads = 0;  // 0: all hardware threads
  Distribution dist;
  uint64_t seed = 1;
  // GPU knobs (ignored by host methods)
  int device = 0;
  std::string mapping = "warp";  // warp | block
  int vector_bytes = 0;          // 0: element size (the paper's mapping)
  int block = 256;
  int grid = 0;
  int pipeline = 1;               // cpu-gather-memcpy: chunks overlapping gather and copy
  std::string uvm_advise = "none";  // none | read-mostly | prefer-host
  int gpus = 1;                      // GPUs gathering at once: devices device .. device+gpus-1
};

struct Sample {
  double total = 0;
  double gather = NAN;  // phases, seconds; NaN where a method has no such phase
  double copy = NAN;
};

struct Verdict {
  bool ok = true;
  std::string mode;  // "full" or "sampled+checksum"
  uint64_t rows_checked = 0;
  int64_t bad_row = -1;  // first output row that differs
  std::string detail;
};

class Method {
 public:
  virtual ~Method() = default;
  // May rewrite idx (the contiguous-copy references pick their own rows).
  virtual Sample run_once(std::vector<int64_t>& idx) = 0;
  virtual Verdict verify(const std::vector<int64_t>& idx) = 0;
  virtual void poison(uint8_t byte) = 0;
  // Resolved settings worth recording (grid actually used, pinned or not, ...).
  virtual std::map<std::string, std::string> details() const { return {}; }
  // True when the method reads a contiguous range instead of the indices.
  virtual bool contiguous() const { return false; }
  // Called on the worker thread before a chunk of samples (selects the GPU).
  virtual void bind_thread() {}
  // CPU time of threads the method owns itself (beyond the pool it was given).
  virtual double own_threads_cpu_seconds() const { return 0; }
};

struct ChunkRequest {
  uint64_t first_sample = 0;  // sample numbers seed fresh indices
  int samples = 1;
  int warmup = 0;
};

struct ChunkResult {
  std::vector<Sample> samples;
  bool failed = false;
  Verdict verdict;  // the failing one, or the last passing one
  uint64_t rows_verified = 0;
};

ChunkResult run_chunk(Method& m, const HostTable& t, const MethodConfig& c, const ChunkRequest& r, ThreadPool& pool);

// A telemetry window: the method runs back to back, unverified, on index sets
// it was already verified on (samples 0..3), so that power and CPU readings
// are of the gather alone, not of verification.
struct SoakResult {
  uint64_t iterations = 0;
  double seconds = 0;       // wall time of the window
  double busy_seconds = 0;  // sum of the method's own timed durations
  double cpu_seconds = 0;   // CPU time of the method's threads (caller + pool)
};
SoakResult soak(Method& m, const HostTable& t, const MethodConfig& c, double seconds, ThreadPool& pool);

std::unique_ptr<Method> make_host_method(const MethodConfig& c, const HostTable& t, ThreadPool& pool);
#ifdef GATHERBENCH_HAVE_CUDA
std::unique_ptr<Method> make_cuda_method(const MethodConfig& c, const HostTable& t, ThreadPool& pool);
// The same method on c.gpus GPUs at once over one shared host table.
std::unique_ptr<Method> make_multi_gpu_method(const MethodConfig& c, const HostTable& t, unsigned cpu_threads);
#endif

// Compares output rows [begin, end) of `out` with the table rows named by idx.
Verdict compare_rows(const uint8_t* out, const HostTable& t, const std::vector<int64_t>& idx, int64_t begin,
                     int64_t end, ThreadPool& pool);
// Rewrites idx to batch consecutive rows starting at (a clipped) idx[0].
void make_contiguous(std::vector<int64_t>& idx, uint64_t rows);

}  // namespace gb
