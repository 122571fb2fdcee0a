// One access path ("method") measured over a HostTable. The sampling loop in
// sampler.cc is shared: a small pool of index sets per point, each verified in
// full once; timed samples rotate through the pool, each preceded (outside the
// timed region) by a cache flush and an output poison, and followed by a
// checksum of the whole output against the set's reference checksum before
// the time counts.
#pragma once
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "host_table.h"
#include "indices.h"
#include "method_registry.h"
#include "thread_pool.h"

namespace gb {

struct MethodConfig {
  std::string method;
  uint64_t batch = 1;
  int elem_bytes = 4;
  unsigned threads = 0;  // 0: all hardware threads
  Distribution dist;
  uint64_t seed = 1;
  bool flush = true;  // evict caches and translation state before each timed sample
  // GPU knobs (ignored by host methods)
  int device = 0;
  std::string mapping = "warp";  // warp | block
  int vector_bytes = 0;          // 0: element size (the paper's mapping)
  int block = 256;
  int grid = 0;
  int pipeline = 1;               // cpu-gather-memcpy: chunks overlapping gather and copy
  std::string uvm_advise = "none";  // none | read-mostly | prefer-host
  std::string uvm_reset = "point";  // the managed table goes back to host memory: at each point's start, or before each sample
  int gpus = 1;                      // GPUs gathering at once: devices device .. device+gpus-1
  // cached-zerocopy: the GPU cache holds this share of the table's rows, or
  // (cache_bytes > 0) this many bytes of rows.
  double cache_share = 0;
  uint64_t cache_bytes = 0;
  // step-* methods (training_step.cc): how the gather meets the model's layer, and the layer's width
  std::string step = "pipelined";  // serial | pipelined
  int hidden = 256;
};

struct Sample {
  double total = 0;
  double gather = NAN;  // phases, seconds; NaN where a method has no such phase
  double copy = NAN;
  double compute = NAN;        // a training step's layer (beside the gather where pipelined)
  double gather_alone = NAN;   // a training step's parts measured alone in the same sample
  double compute_alone = NAN;
  // event-timed work of the sample besides its total (a pipelined step's parts alone): timed, for the
  // run's accounting of where its wall time went
  double also_timed = 0;
};

struct Verdict {
  bool ok = true;
  std::string mode;  // "full" or "sampled+checksum"
  uint64_t rows_checked = 0;
  int64_t bad_row = -1;  // first output row that differs
  std::string detail;
};

// The output of a method as verification sees it: rows copied (or pointed)
// into host memory, and a checksum of every byte computed where it lives.
class OutputView {
 public:
  virtual ~OutputView() = default;
  // Host-readable bytes of output rows [r0, r1), starting at row r0; valid
  // until the next call.
  virtual const uint8_t* rows(int64_t r0, int64_t r1) = 0;
  // checksum_term summed over every 8-byte word of the output.
  virtual uint64_t checksum() = 0;
};

// Flushes the table rows idx names from every CPU cache level, line by line (sampler.cc).
void evict_rows(const HostTable& t, const std::vector<int64_t>& idx, ThreadPool& pool);
// The lines of rows idx[b..e) of a table at `base` out of every cache level, on the calling thread (evict_rows
// spreads it over a pool; the anatomy probe over its own).
void flush_rows(const uint8_t* base, uint64_t row_bytes, const int64_t* idx, int64_t b, int64_t e);

class Method : public OutputView {
 public:
  // How many index sets the sampling loop may rotate through; methods that
  // keep sets on a device allocate room for them here.
  virtual void reserve_sets(int n) { (void)n; }
  // Makes set `slot` ready to run (e.g. uploads it); may rewrite idx (the
  // contiguous-copy references read consecutive rows instead).
  virtual void load_set(int slot, std::vector<int64_t>& idx) { (void)slot, (void)idx; }
  // One gather of set `slot`, timed by the method itself.
  virtual Sample run(int slot, const std::vector<int64_t>& idx) = 0;
  // What a telemetry window repeats: the run itself, except where a sample measures more than the method's
  // own work (a training step's parts alone).
  virtual Sample soak_run(int slot, const std::vector<int64_t>& idx) { return run(slot, idx); }
  // Checksum the output must have after gathering idx (additive over GPUs).
  virtual uint64_t reference_checksum(int slot, const std::vector<int64_t>& idx, ThreadPool& pool);
  // Thorough check of the output of set `slot`: every row, or sampled rows
  // plus the checksum above the full-verification limit.
  virtual Verdict verify(int slot, const std::vector<int64_t>& idx, uint64_t reference);
  virtual void poison(uint8_t byte) = 0;
  // Evicts what the previous sample left in caches and translation state.
  virtual void flush() {}
  // Where CPU threads read the table (reads_table_on_cpu): flushes the rows a gather of set `slot` reads from
  // every CPU cache level (evict_rows), before a cold sample.
  virtual void evict_rows_read(int slot, const std::vector<int64_t>& idx) { (void)slot, evict_rows(t_, idx, pool_); }
  // What a method puts back before every timed sample, whatever the cache policy (uvm with uvmReset:
  // sample moves its managed table back to host memory, warm samples or cold).
  virtual void reset_before_sample() {}
  // Resolved settings worth recording (grid actually used, pinned or not, ...).
  virtual std::map<std::string, std::string> details() const { return {}; }
  // True when the method reads a contiguous range instead of the indices.
  virtual bool contiguous() const { return false; }
  // True when CPU threads read the table's rows (a host gather): its untimed runs leave those rows in
  // the CPU's caches.
  virtual bool reads_table_on_cpu() const { return false; }
  // True when the flush before a sample leaves nothing of earlier samples where this method's reads go
  // (GPU caches, and the translations of the pages it reads): its samples need not rotate through many sets.
  virtual bool cold_after_flush() const { return false; }
  // Called on the worker thread before a chunk of samples (selects the GPU).
  virtual void bind_thread() {}
  // CPU time of threads the method owns itself (beyond the pool it was given).
  virtual double own_threads_cpu_seconds() const { return 0; }
  // Launch latency of an empty kernel on this method's stream: ungated (what
  // an event pair around a launch includes) and gated (the floor of a gated
  // measurement), microseconds; NaN for methods without launches.
  virtual std::pair<double, double> launch_latency_us() { return {NAN, NAN}; }
  // GATHERBENCH_TEST_CORRUPT: flips a byte of output row `row`, outside timing.
  virtual void corrupt_row_for_test(int64_t row) = 0;

 protected:
  Method(const HostTable& t, ThreadPool& pool, uint64_t out_bytes) : t_(t), pool_(pool), out_bytes_(out_bytes) {}
  const HostTable& t_;
  ThreadPool& pool_;
  uint64_t out_bytes_;
};

// The index sets of one point, drawn and verified once each.
struct IndexSets {
  std::vector<std::vector<int64_t>> idx;
  std::vector<uint64_t> reference;
  std::vector<bool> ready;
};

struct ChunkRequest {
  uint64_t first_sample = 0;  // sample numbers pick the set (sample % sets) and the poison byte
  int samples = 1;
  int warmup = 0;
};

// Where a chunk's wall time went, seconds: the timed regions, and the
// harness's own work around them (the run's accounting adds these up).
struct ChunkTime {
  double timed = 0;    // sum of the samples' measured times
  double setup = 0;    // drawing and loading index sets
  double warmup = 0;   // untimed runs (first runs of each set, extra warm-up)
  double verify = 0;   // thorough verification and per-sample checksums
  double flush = 0;    // cache flushes and output poisoning between samples
  double launch = 0;   // inside run() but outside the timed region (gate, sync wake-up)
};

struct ChunkResult {
  std::vector<Sample> samples;
  bool failed = false;
  Verdict verdict;  // the failing one, or the last passing one
  uint64_t rows_verified = 0;
  uint64_t checksums = 0;  // timed samples checked by checksum
  ChunkTime time;
};

// How many index sets a point rotates through: kFewSets where the flush before each sample leaves nothing of
// earlier ones (cold_after_flush); elsewhere enough that a set's rows have left the CPU's last-level cache when
// it comes back (small outputs, cheap to verify); at least 2 so consecutive samples differ, and fewer as
// outputs pass 64 MiB (256 MiB of verified output at most).
constexpr int kFewSets = 4;
int index_set_count(uint64_t out_bytes, bool cold_after_flush);
uint64_t last_level_cache_bytes();
// The seed of index set k of a point drawn with `seed`.
uint64_t index_set_seed(uint64_t seed, uint64_t k);

ChunkResult run_chunk(Method& m, const HostTable& t, const MethodConfig& c, IndexSets& sets, const ChunkRequest& r,
                      ThreadPool& pool);

// A telemetry window: the method runs back to back, unverified, on index sets
// that were already verified, so that power and CPU readings are of the
// gather alone, not of verification.
struct SoakResult {
  uint64_t iterations = 0;
  double seconds = 0;       // wall time of the window
  double busy_seconds = 0;  // sum of the method's own timed durations
  double cpu_seconds = 0;   // CPU time of the method's threads (caller + pool)
};
SoakResult soak(Method& m, const HostTable& t, const MethodConfig& c, IndexSets& sets, double seconds, ThreadPool& pool);

// The method of a registry entry (method_registry.h) of its backend.
std::unique_ptr<Method> make_host_method(const MethodEntry& e, const MethodConfig& c, const HostTable& t, ThreadPool& pool);
#ifdef GATHERBENCH_HAVE_CUDA
std::unique_ptr<Method> make_cuda_method(const MethodEntry& e, const MethodConfig& c, const HostTable& t, ThreadPool& pool);
// The same method on c.gpus GPUs at once over one shared host table.
std::unique_ptr<Method> make_multi_gpu_method(const MethodEntry& e, const MethodConfig& c, const HostTable& t,
                                              ThreadPool& pool, unsigned cpu_threads);
// step-<method>: that gather method beside a model layer on the gathered batch (training_step.cc).
std::unique_ptr<Method> make_training_step(const MethodEntry& e, const MethodConfig& c, const HostTable& t, ThreadPool& pool);
// Frees the buffers GPU methods keep across points (cuda_support.cc).
void release_arena();
#endif

// Outputs up to this size are compared whole; larger ones on sampled rows
// plus a checksum of every byte (GATHERBENCH_TEST_FULL_VERIFY_BYTES lowers it).
uint64_t full_verify_bytes();
constexpr int kSampledRows = 1024;

// Compares output rows [begin, end) of `out` with the table rows named by idx.
Verdict compare_rows(const uint8_t* out, const HostTable& t, const std::vector<int64_t>& idx, int64_t begin,
                     int64_t end, ThreadPool& pool);
// The checksum a correct output of idx has (checksum_term over its words).
uint64_t expected_checksum(const HostTable& t, const std::vector<int64_t>& idx, ThreadPool& pool);
// checksum_term over the words of a host buffer.
uint64_t host_checksum(const uint8_t* p, uint64_t bytes, ThreadPool& pool);
// Rewrites idx to batch consecutive rows starting at (a clipped) idx[0].
void make_contiguous(std::vector<int64_t>& idx, uint64_t rows);

}  // namespace gb
