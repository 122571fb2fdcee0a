// The GPU methods. Each times its own work with CUDA events on one stream.
// GPU-only work is queued behind a launch gate, so the events time the work
// and not the launch; the CPU path is timed end to end (its CPU gather is
// part of what it costs).
#include "cuda_methods.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>

#include "../../kernels/gather.h"
#include "cache_plan.h"
#include "test_switches.h"

namespace gb {

CudaMethod::CudaMethod(const MethodConfig& c, const HostTable& t, ThreadPool& pool)
    : Method(t, pool, c.batch * t.row_bytes()), c_(c), device_(select_device(c.device)),
      e1_(cudaEventBlockingSync) /* waited on: the waiting thread sleeps */ {
  out_ = Lease(BufferKind::DeviceOut, c.device, (out_bytes_ + 15) / 16 * 16, "the output");
  sum_ = Lease(BufferKind::DeviceSum, c.device, sizeof(unsigned long long), "the checksum");
  host_out_ = Lease(BufferKind::PinnedVerify, c.device, t.row_bytes() + 16, "the verification buffer");
  check_idx_ = Lease(BufferKind::DeviceCheckIdx, c.device, c.batch * sizeof(int64_t), "the verification's indices");
  check_ = Lease(BufferKind::DeviceCheck, c.device, 2 * sizeof(unsigned long long), "the verification's result");
}

CudaMethod::~CudaMethod() { quiesce(); }

void CudaMethod::quiesce() noexcept {
  cudaSetDevice(device_);
  cudaStreamSynchronize(stream_.s);
  cudaGetLastError();
}

int CudaMethod::select_device(int device) {
  check(cudaSetDevice(device), "cudaSetDevice");
  return device;
}

void CudaMethod::bind_thread() { check(cudaSetDevice(device_), "cudaSetDevice"); }

void CudaMethod::poison(uint8_t byte) {
  check(cudaMemsetAsync(out_.get(), byte, out_bytes_, stream_.s), "poisoning the output");
  check(cudaStreamSynchronize(stream_.s), "poisoning the output");
}

// The translation flush reads a word of kTranslationPages pages spread evenly over the table, 64 KiB apart at
// least (past any page size a pinned table is mapped with): more pages than the GPU's translation caches hold,
// so none of an earlier sample's translations is left. Each read misses, so the count is the cost. On an H100
// (GPU L), zero-copy gathers of 1024 rows of 64-400 B took 44 us after 32768 or 131072 pages (1.1 and 4.7 ms
// a flush), 23-27 us after 8192 and 9-18 us after 2048: those left translations of the earlier samples.
constexpr int64_t kTranslationPages = 32768;
static int64_t translation_stride(uint64_t table_bytes) {
  const int64_t min = 64 << 10, even = int64_t(table_bytes) / kTranslationPages;
  return std::max(min, (even + min - 1) / min * min);
}

// The flush buffer is the method's for its life (from the arena, so kept across points): no lookup per sample.
void CudaMethod::flush() {
  if (!flush_.get()) {
    flush_bytes_ = flush_bytes(device_);
    flush_ = Lease(BufferKind::DeviceFlush, device_, flush_bytes_, "the cache flush buffer");
  }
  if (host_pages_)  // first: its reads pass through L2, which the write below then evicts
    check(launch_touch_pages(host_pages_, int64_t(t_.bytes()), translation_stride(t_.bytes()), stream_.s),
          "flushing the GPU's translations of the table");
  check(cudaMemsetAsync(flush_.get(), 0, flush_bytes_, stream_.s), "flushing the GPU caches");
  check(cudaStreamSynchronize(stream_.s), "flushing the GPU caches");
}

void CudaMethod::planted_cuda_error() {
  if (test_cuda_error_gpu() >= 0 && test_cuda_error_gpu() == gpu_index_)
    check(cudaMemsetAsync(nullptr, 0, 1, stream_.s), "planted CUDA error on GPU " + std::to_string(gpu_index_) +
                                                         " (GATHERBENCH_TEST_CUDA_ERROR)");
}

const uint8_t* CudaMethod::rows(int64_t r0, int64_t r1) {
  const uint64_t rb = t_.row_bytes();
  check(cudaMemcpy(host_out_.get(), out_.get() + uint64_t(r0) * rb, uint64_t(r1 - r0) * rb, cudaMemcpyDeviceToHost),
        "copying the output back");
  return host_out_.get();
}

uint64_t CudaMethod::checksum() {
  check(launch_checksum(out_.get(), int64_t(out_bytes_), sum_.as<unsigned long long>(), stream_.s), "checksum kernel");
  unsigned long long got = 0;
  check(cudaMemcpyAsync(&got, sum_.get(), sizeof got, cudaMemcpyDeviceToHost, stream_.s), "checksum copy");
  check(cudaStreamSynchronize(stream_.s), "checksum");
  return got;
}

std::pair<uint64_t, uint64_t> CudaMethod::pattern_check(const std::vector<int64_t>& idx, const uint8_t* out) {
  check(cudaMemcpyAsync(check_idx_.get(), idx.data(), idx.size() * sizeof(int64_t), cudaMemcpyHostToDevice, stream_.s),
        "uploading the verification's indices");
  unsigned long long* r = check_.as<unsigned long long>();
  check(launch_pattern_check(out, check_idx_.as<int64_t>(), int64_t(idx.size() * t_.row_bytes()), int64_t(t_.row_bytes()),
                             t_.storage().seed(), r, stream_.s),
        "pattern check kernel");
  unsigned long long got[2] = {0, 0};
  check(cudaMemcpy(got, r, sizeof got, cudaMemcpyDeviceToHost), "pattern check result");
  return {got[0], got[1]};
}

uint64_t CudaMethod::reference_checksum(int, const std::vector<int64_t>& idx, ThreadPool&) {
  return pattern_check(idx, nullptr).first;
}

// Every byte compared on the GPU; the first and last rows also on the host, so the device's compiled pattern
// is itself checked against the host's at each set; then the checksum kernel that checks timed samples is
// held to the reference on this output, which is known right.
Verdict CudaMethod::verify(int, const std::vector<int64_t>& idx, uint64_t reference) {
  const uint64_t rb = t_.row_bytes();
  const int64_t n = int64_t(idx.size());
  Verdict v;
  v.mode = "full (GPU)";
  v.rows_checked = uint64_t(n);
  const auto [sum, bad] = pattern_check(idx, out_.get());
  auto bad_row = [&](int64_t row, const std::string& why) {
    v.ok = false;
    v.bad_row = row;
    v.detail = "output row " + std::to_string(row) + " (table row " + std::to_string(idx[size_t(row)]) + ") " + why;
    return v;
  };
  if (bad < uint64_t(n) * rb) return bad_row(int64_t(bad / rb), "differs from the table");
  for (int64_t r : {int64_t(0), n - 1}) {
    std::vector<int64_t> one{idx[size_t(r)]};
    if (!compare_rows(rows(r, r + 1), t_, one, 0, 1, pool_).ok)
      return bad_row(r, "differs from the table on the host, though the GPU's check passed it (the GPU's pattern is wrong)");
  }
  if (sum != reference) {
    v.ok = false;
    v.detail = "the GPU's pattern check disagrees with the reference checksum of the set";
  } else if (checksum() != reference) {
    v.ok = false;
    v.detail = "every byte compares equal, but the output's checksum differs from the reference (a broken checksum kernel)";
  }
  return v;
}

void CudaMethod::corrupt_row_for_test(int64_t row) {
  uint8_t* p = out_.get() + uint64_t(row) * t_.row_bytes();
  uint8_t b = 0;
  check(cudaMemcpy(&b, p, 1, cudaMemcpyDeviceToHost), "test corruption");
  b ^= 0xFF;
  check(cudaMemcpy(p, &b, 1, cudaMemcpyHostToDevice), "test corruption");
}

std::pair<double, double> CudaMethod::launch_latency_us() {
  if (!gpu_only()) return {NAN, NAN};  // timed end to end: the launch is part of what it costs
  constexpr int kRuns = 15;
  auto median_us = [&](bool gated) {
    std::vector<double> us;
    for (int i = 0; i < kRuns; ++i) {
      gate_.arm();
      {
        GateRelease rel{gate_};
        if (gated) gate_.hold(stream_.s);
        check(cudaEventRecord(e0_.e, stream_.s), "cudaEventRecord");
        check(launch_empty(stream_.s), "empty kernel");
        check(cudaEventRecord(e1_.e, stream_.s), "cudaEventRecord");
      }
      us.push_back(finish(gate_) * 1e6);
    }
    std::nth_element(us.begin(), us.begin() + kRuns / 2, us.end());
    return us[kRuns / 2];
  };
  return {median_us(false), median_us(true)};
}

void CudaMethod::queue(LaunchGate& gate, int slot) {
  gate.hold(stream_.s);
  check(cudaEventRecord(e0_.e, stream_.s), "cudaEventRecord");
  if (hooks_.started) hooks_.started(e0_.e);
  planted_cuda_error();
  enqueue_work(slot);
  planted_delay();
  check(cudaEventRecord(e1_.e, stream_.s), "cudaEventRecord");
  if (hooks_.queued) hooks_.queued(e1_.e);
}

double CudaMethod::finish(const LaunchGate& gate) {
  check(cudaEventSynchronize(e1_.e), "waiting for the sample");
  if (gate.timed_out())
    throw Error("CUDA", "the launch gate timed out: queueing a sample took longer than " +
                            std::to_string(LaunchGate::kTimeoutNs / 1000000000) + " s");
  return elapsed(e0_.e, e1_.e);
}

Sample CudaMethod::run(int slot, const std::vector<int64_t>&) {
  if (!gpu_only()) return Sample{end_to_end([&] { enqueue_work(slot); }), NAN, NAN};
  gate_.arm();
  {
    GateRelease rel{gate_};
    queue(gate_, slot);
  }
  return Sample{planted_stretch(finish(gate_)), NAN, NAN};
}

double CudaMethod::end_to_end(const std::function<void()>& work) {
  check(cudaEventRecord(e0_.e, stream_.s), "cudaEventRecord");
  if (hooks_.started) hooks_.started(e0_.e);
  planted_cuda_error();
  work();
  planted_delay();
  check(cudaEventRecord(e1_.e, stream_.s), "cudaEventRecord");
  if (hooks_.queued) hooks_.queued(e1_.e);
  return planted_stretch(finish(gate_));
}

// GATHERBENCH_TEST_SLOWDOWN_US adds a fixed spin on the stream. GATHERBENCH_TEST_SLOWDOWN_PCT is not a
// kernel: an extra kernel costs microseconds of its own, more than p% of a short sample (the likely reason a
// 10% plant read 1.25-1.55x at 128 B rows), so the sample's measured time is stretched (planted_stretch).
void CudaMethod::planted_delay() {
  const double ns = test_slowdown_us() * 1e3;
  if (ns > 0) check(launch_delay(uint64_t(ns), stream_.s), "delay kernel");
}

double CudaMethod::elapsed(cudaEvent_t a, cudaEvent_t b) {
  float ms = 0;
  check(cudaEventElapsedTime(&ms, a, b), "cudaEventElapsedTime");
  return ms / 1e3;
}

namespace {

// The ceiling: one contiguous cudaMemcpyAsync of the same number of bytes.
class PinnedMemcpy : public CudaMethod {
 public:
  using CudaMethod::CudaMethod;
  // One contiguous copy touches few pages: its time did not depend on the translation flush (H100, GPU L:
  // 1024-16384 rows of 64 B-4 KB at 0.91-1.02 of the 131072-page times after 2048, 8192 or 32768 pages, where
  // two 131072-page runs differed by up to 6%), so it runs without one and, from a pinned table, rotates
  // through few sets like the methods that have it.
  bool cold_after_flush() const override { return t_.pinned(); }
  // From a pageable table the driver stages the copy through the CPU and may wait on the stream, which a
  // gate holds: such a copy is timed end to end, not gated.
  bool gpu_only() const override { return t_.pinned(); }
  void reserve_sets(int n) override { starts_.assign(n, 0); }
  void load_set(int slot, std::vector<int64_t>& idx) override {
    make_contiguous(idx, t_.rows());
    starts_[slot] = uint64_t(idx[0]);
  }
  void enqueue_work(int slot) override {
    check(cudaMemcpyAsync(out_.get(), t_.data() + starts_[slot] * t_.row_bytes(), out_bytes_, cudaMemcpyHostToDevice,
                          stream_.s),
          "cudaMemcpyAsync");
  }
  Sample run(int slot, const std::vector<int64_t>& idx) override {
    Sample s = CudaMethod::run(slot, idx);
    s.copy = s.total;
    return s;
  }
  bool contiguous() const override { return true; }
  std::map<std::string, std::string> details() const override {
    return {{"source", t_.pinned() ? "pinned" : "pageable (table not pinned)"}};
  }

 private:
  std::vector<uint64_t> starts_;
};

// The paper's baseline: CPU threads gather into a pinned staging buffer, then
// cudaMemcpyAsync moves it to the GPU; with pipeline > 1 the batch goes in
// chunks so gathering chunk k+1 overlaps copying chunk k. Timed end to end:
// the first event is recorded before the CPU starts gathering.
class CpuGatherMemcpy : public CudaMethod {
 public:
  CpuGatherMemcpy(const MethodConfig& c, const HostTable& t, ThreadPool& pool)
      : CudaMethod(c, t, pool), staging_(BufferKind::PinnedStaging, c.device, out_bytes_, "the pinned staging buffer") {}
  bool gpu_only() const override { return false; }
  bool reads_table_on_cpu() const override { return true; }
  void enqueue_work(int) override {}
  Sample run(int, const std::vector<int64_t>& idx) override {
    using Clock = std::chrono::steady_clock;
    const uint64_t rb = t_.row_bytes(), n = idx.size();
    const uint64_t chunks = std::max<uint64_t>(1, std::min<uint64_t>(uint64_t(c_.pipeline), n));
    uint8_t* staging = staging_.get();
    double gather = 0;
    Sample s{end_to_end([&] {
               for (uint64_t k = 0; k < chunks; ++k) {
                 const uint64_t r0 = n * k / chunks, r1 = n * (k + 1) / chunks;
                 auto g0 = Clock::now();
                 pool_.parallel_for(int64_t(r1 - r0), [&](int64_t b, int64_t e, unsigned) {
                   for (int64_t j = int64_t(r0) + b; j < int64_t(r0) + e; ++j)
                     std::memcpy(staging + uint64_t(j) * rb, t_.data() + uint64_t(idx[j]) * rb, rb);
                 });
                 gather += std::chrono::duration<double>(Clock::now() - g0).count();
                 if (chunks == 1) check(cudaEventRecord(e_mid_.e, stream_.s), "cudaEventRecord");
                 check(cudaMemcpyAsync(out_.get() + r0 * rb, staging + r0 * rb, (r1 - r0) * rb, cudaMemcpyHostToDevice,
                                       stream_.s),
                       "cudaMemcpyAsync");
               }
             }),
             gather, NAN};
    if (chunks == 1) s.copy = elapsed(e_mid_.e, e1_.e);
    return s;
  }
  std::map<std::string, std::string> details() const override {
    return {{"threads", std::to_string(pool_.size())}, {"pipeline", std::to_string(c_.pipeline)},
            {"staging", "cudaHostAlloc (pinned)"}};
  }

 private:
  Lease staging_;
};

// Copy-engine gathers: the GPU's DMA engines move each row, no GPU thread
// reads. Timed end to end like the CPU path: issuing the copies is part of
// what the method costs. Adjacent rows of the batch that are adjacent in the
// table merge into one copy (copy-engine-rows only).
struct RowCopy {
  uint64_t src, dst, bytes;
};

std::vector<RowCopy> row_copies(const std::vector<int64_t>& idx, uint64_t rb, bool merge) {
  std::vector<RowCopy> out;
  for (size_t j = 0; j < idx.size(); ++j) {
    const uint64_t src = uint64_t(idx[j]) * rb, dst = j * rb;
    if (merge && !out.empty() && out.back().src + out.back().bytes == src && out.back().dst + out.back().bytes == dst)
      out.back().bytes += rb;
    else
      out.push_back({src, dst, rb});
  }
  return out;
}

class CopyEngineRows : public CudaMethod {
 public:
  CopyEngineRows(const MethodConfig& c, const HostTable& t, ThreadPool& pool) : CudaMethod(c, t, pool) {
    host_pages_ = t.device_view();
  }
  bool gpu_only() const override { return false; }
  void reserve_sets(int n) override { copies_.assign(n, {}); }
  void load_set(int slot, std::vector<int64_t>& idx) override {
    copies_[slot] = row_copies(idx, t_.row_bytes(), true);
    total_copies_ += copies_[slot].size();
    ++sets_;
  }
  void enqueue_work(int slot) override {
    for (const RowCopy& r : copies_[slot])
      check(cudaMemcpyAsync(out_.get() + r.dst, t_.data() + r.src, r.bytes, cudaMemcpyHostToDevice, stream_.s),
            "cudaMemcpyAsync (one row)");
  }
  std::map<std::string, std::string> details() const override {
    char mean[32];
    snprintf(mean, sizeof mean, "%.1f", sets_ ? double(total_copies_) / double(sets_) : 0.0);
    return {{"copies", std::string(mean) + " cudaMemcpyAsync per gather (adjacent rows merged) for " +
                           std::to_string(c_.batch) + " rows"},
            {"source", t_.pinned() ? "pinned" : "pageable (table not pinned)"}};
  }

 private:
  std::vector<std::vector<RowCopy>> copies_;
  uint64_t total_copies_ = 0, sets_ = 0;
};

// One cudaMemcpyBatchAsync per gather, one entry per row, stream-ordered
// source access (CUDA 12.8+). Called through the runtime headers the addon is
// built with: 13.0 dropped the failIdx argument of 12.8.
class CopyEngineBatch : public CudaMethod {
 public:
  CopyEngineBatch(const MethodConfig& c, const HostTable& t, ThreadPool& pool) : CudaMethod(c, t, pool) {
    host_pages_ = t.device_view();
#if CUDART_VERSION < 12080
    throw Error("UNSUPPORTED", "cudaMemcpyBatchAsync needs a CUDA 12.8 runtime; this addon was built with " +
                                   std::to_string(CUDART_VERSION));
#else
    int driver = 0;
    cudaDriverGetVersion(&driver);
    if (driver < 12080)
      throw Error("UNSUPPORTED", "cudaMemcpyBatchAsync needs a CUDA 12.8 driver; this one is " + std::to_string(driver));
#endif
  }
  bool gpu_only() const override { return false; }
  void reserve_sets(int n) override {
    dsts_.assign(n, {});
    srcs_.assign(n, {});
    sizes_.assign(n, {});
  }
  void load_set(int slot, std::vector<int64_t>& idx) override {
    const uint64_t rb = t_.row_bytes();
    dsts_[slot].resize(idx.size());
    srcs_[slot].resize(idx.size());
    sizes_[slot].assign(idx.size(), rb);
    for (size_t j = 0; j < idx.size(); ++j) {
      dsts_[slot][j] = out_.get() + j * rb;
      srcs_[slot][j] = t_.data() + uint64_t(idx[j]) * rb;
    }
  }
  void enqueue_work(int slot) override {
#if CUDART_VERSION >= 12080
    cudaMemcpyAttributes attr{};
    attr.srcAccessOrder = cudaMemcpySrcAccessOrderStream;
    attr.srcLocHint.type = cudaMemLocationTypeHost;
    attr.dstLocHint.type = cudaMemLocationTypeDevice;
    attr.dstLocHint.id = device_;
    size_t attr_idx = 0;
#if CUDART_VERSION >= 13000
    check(cudaMemcpyBatchAsync(dsts_[slot].data(), srcs_[slot].data(), sizes_[slot].data(), sizes_[slot].size(), &attr,
                               &attr_idx, 1, stream_.s),
          "cudaMemcpyBatchAsync");
#else
    size_t fail_idx = 0;
    check(cudaMemcpyBatchAsync(dsts_[slot].data(), const_cast<void**>(srcs_[slot].data()), sizes_[slot].data(),
                               sizes_[slot].size(), &attr, &attr_idx, 1, &fail_idx, stream_.s),
          "cudaMemcpyBatchAsync (entry " + std::to_string(fail_idx) + ")");
#endif
#else
    (void)slot;
    throw Error("UNSUPPORTED", "cudaMemcpyBatchAsync is not in this build");
#endif
  }
  std::map<std::string, std::string> details() const override {
    return {{"copies", "one cudaMemcpyBatchAsync per gather, " + std::to_string(c_.batch) +
                           " entries (one per row), stream-ordered source access"},
            {"runtime", std::to_string(CUDART_VERSION)}};
  }

 private:
  std::vector<std::vector<void*>> dsts_;
  std::vector<std::vector<const void*>> srcs_;
  std::vector<std::vector<size_t>> sizes_;
};

// Everything that can be refused is refused before anything is allocated.
int kernel_vector_bytes(const MethodEntry& e, const MethodConfig& c, const HostTable& t) {
  const std::string& m = c.method;
  int v = c.vector_bytes > 0 ? c.vector_bytes : c.elem_bytes;
  // zerocopy-sorted loads as GraphBolt's UVA index select does: the widest vector (up to 16 B) that
  // divides the row, unless the scenario names one.
  if (c.vector_bytes == 0 && m == "zerocopy-sorted")
    for (int w : {16, 8, 4})
      if (w > v && t.row_bytes() % uint64_t(w) == 0) {
        v = w;
        break;
      }
  if (v != 2 && v != 4 && v != 8 && v != 16)
    throw Error("BAD_ARGUMENT", "vector width must be 2, 4, 8 or 16 bytes, got " + std::to_string(v));
  if (v < c.elem_bytes || v % c.elem_bytes != 0)
    throw Error("UNSUPPORTED", "vector width " + std::to_string(v) + " B does not hold whole " +
                                   std::to_string(c.elem_bytes) + "-byte elements");
  if (m == "zerocopy-naive" && t.row_bytes() % uint64_t(v) != 0)
    throw Error("UNSUPPORTED", "naive " + std::to_string(v) + "-byte loads need rows that are a multiple of " +
                                   std::to_string(v) + " B; rows are " + std::to_string(t.row_bytes()) + " B");
  if (c.block % 32 != 0 || c.block < 32 || c.block > 1024)
    throw Error("BAD_ARGUMENT", "block size must be a multiple of 32 from 32 to 1024");
  if (e.source == TableSource::Pcie && !t.device_view())
    throw Error("UNSUPPORTED", "zero-copy needs a pinned, mapped table; this one is '" + t.obtained() + "'");
  return v;
}

// A table copy in GPU memory (device-resident) or managed memory (uvm), kept
// on the host table across the points that share it.
struct TableCopy {
  void* p = nullptr;
  int device = 0;
  std::string advice;
  ~TableCopy() {
    int saved = 0;
    cudaGetDevice(&saved);
    cudaSetDevice(device);
    cudaFree(p);
    cudaSetDevice(saved);
    cudaGetLastError();
  }
};

// The GPU gathers with the kernel in kernels/gather.cu, reading the table
// where the method puts it: mapped host memory (zero-copy), device memory,
// or managed memory.
class KernelGather : public CudaMethod {
 public:
  KernelGather(const MethodConfig& c, const HostTable& t, ThreadPool& pool, int vector_bytes, TableSource source)
      : CudaMethod(c, t, pool) {
    const std::string& m = c.method;
    if (source == TableSource::DeviceCopy) {
      src_ = static_cast<const uint8_t*>(device_copy());
      in_device_memory_ = true;
      where_ = "device memory";
    } else if (source == TableSource::ManagedCopy) {
      src_ = static_cast<const uint8_t*>(managed_copy());
      where_ = "managed memory (advice: " + c.uvm_advise +
               (c.uvm_reset == "sample" ? "; back in host memory before every sample: each sample pays its own migrations)"
                                        : "; back in host memory at the start of the point, then left where its warm-up and samples moved it)");
    } else {
      src_ = host_pages_ = t.device_view();
      where_ = "mapped host memory";
      if (m == "cached-zerocopy") build_cache();
    }
    launch_.table = src_;
    launch_.n = int64_t(c.batch);
    launch_.out = out_.get();
    launch_.row_bytes = int64_t(t.row_bytes());
    launch_.elem_bytes = c.elem_bytes;
    launch_.aligned = m != "zerocopy-naive";
    launch_.gpu_memory = source == TableSource::DeviceCopy || source == TableSource::ManagedCopy;
    launch_.vector_bytes = vector_bytes;
    launch_.block_per_row = c.mapping == "block";
    if (c.mapping == "subwarp") {
      // Lane i reads vector i of a row (no 128-byte alignment: device memory has no PCIe segments), and a
      // group is the fewest lanes (a power of two) that cover a row in one vector each, so a warp keeps
      // several short rows in flight. An experiment on the device-resident "upper bound" for small rows.
      if (m != "device-resident" && m != "uvm")
        throw Error("UNSUPPORTED", "mapping 'subwarp' is for gathers from GPU memory (device-resident, uvm)");
      if (t.row_bytes() % uint64_t(vector_bytes) != 0)
        throw Error("UNSUPPORTED", "mapping 'subwarp' reads whole " + std::to_string(vector_bytes) + "-byte vectors: rows of " +
                                       std::to_string(t.row_bytes()) + " B are not a multiple");
      const uint64_t vectors = (t.row_bytes() + uint64_t(vector_bytes) - 1) / uint64_t(vector_bytes);
      int g = 1;
      while (g < 32 && uint64_t(g) < vectors) g *= 2;
      launch_.subwarp = g;
      launch_.aligned = false;
    }
    launch_.block = c.block;
    launch_.grid = c.grid;
    launch_.slot_of = slot_of_.as<int32_t>();
    launch_.cache = cache_.get();
    launch_.scatter = m == "zerocopy-sorted";
    check(resolve_grid(launch_, c.device), "sizing the grid");
    // What bounds the rows in flight: the kernel's registers and the blocks an SM keeps (details only).
    int regs = 0, resident = 0;
    if (kernel_occupancy(launch_, regs, resident) == cudaSuccess)
      occupancy_ = std::to_string(regs) + " registers a thread, " + std::to_string(resident) + " blocks of " +
                   std::to_string(launch_.block) + " resident per SM";
    cudaGetLastError();
  }
  // Index sets live on the GPU before the clock starts, as in PyTorch-Direct.
  void reserve_sets(int n) override {
    const uint64_t bytes = c_.batch * sizeof(int64_t);
    idx_ = Lease(BufferKind::DeviceIdx, device_, bytes * uint64_t(n), "the index sets");
    host_idx_ = Lease(BufferKind::PinnedIdx, device_, bytes, "the index staging buffer");
    if (c_.method == "zerocopy-sorted") {
      sorted_ = Lease(BufferKind::DeviceSortedIdx, device_, bytes, "the sorted indices");
      out_pos_ = Lease(BufferKind::DeviceOutPos, device_, bytes, "the output positions");
      positions_ = Lease(BufferKind::DevicePositions, device_, bytes, "the batch positions");
      check(launch_iota(positions_.as<int64_t>(), int64_t(c_.batch), stream_.s), "batch positions");
      while ((uint64_t(1) << end_bit_) < t_.rows()) ++end_bit_;
      size_t temp = 0;
      check(sort_indices(nullptr, temp, nullptr, nullptr, nullptr, nullptr, int64_t(c_.batch), end_bit_, stream_.s), "sizing the sort");
      sort_temp_bytes_ = temp;
      sort_temp_ = Lease(BufferKind::DeviceSortTemp, device_, temp, "the sort's temporary storage");
      check(cudaStreamSynchronize(stream_.s), "batch positions");
    }
  }
  void load_set(int slot, std::vector<int64_t>& idx) override {
    if (!host_slot_of_.empty()) {  // the hit rate of the index sets actually gathered
      for (int64_t r : idx) hits_ += host_slot_of_[size_t(r)] >= 0;
      looked_up_ += idx.size();
      if (slot == 0) set0_misses_ = miss_repeats(idx, host_slot_of_);
    }
    const uint64_t bytes = idx.size() * sizeof(int64_t);
    std::memcpy(host_idx_.get(), idx.data(), bytes);
    check(cudaMemcpyAsync(slot_idx(slot), host_idx_.get(), bytes, cudaMemcpyHostToDevice, stream_.s), "uploading indices");
    check(cudaStreamSynchronize(stream_.s), "uploading indices");
  }
  // uvmReset: sample: before every timed sample the managed table goes back to host memory (cold or warm).
  void reset_before_sample() override {
    if (c_.method == "uvm" && c_.uvm_reset == "sample") reset_residency(const_cast<uint8_t*>(src_));
  }
  void enqueue_work(int slot) override {
    launch_.idx = slot_idx(slot);
    if (c_.method == "zerocopy-sorted") {
      // Inside the timed region, as DGL and GraphBolt do it: sort the batch's indices (with their
      // positions), gather in table order, write each row back to its place in the batch.
      size_t temp = sort_temp_bytes_;
      check(sort_indices(sort_temp_.get(), temp, launch_.idx, sorted_.as<int64_t>(), positions_.as<int64_t>(),
                         out_pos_.as<int64_t>(), int64_t(c_.batch), end_bit_, stream_.s),
            "sorting the indices");
      launch_.idx = sorted_.as<int64_t>();
      launch_.out_pos = out_pos_.as<int64_t>();
    }
    check(launch_gather(launch_, stream_.s), "gather kernel launch");
  }
  bool cold_after_flush() const override { return in_device_memory_ || CudaMethod::cold_after_flush(); }
  Verdict verify(int slot, const std::vector<int64_t>& idx, uint64_t reference) override {
    Verdict v = CudaMethod::verify(slot, idx, reference);
    if (!v.ok && v.bad_row >= 0 && !host_slot_of_.empty()) v.detail += cache_side(idx[size_t(v.bad_row)]);
    return v;
  }
  std::map<std::string, std::string> details() const override {
    std::map<std::string, std::string> d = {
        {"table", where_},
        {"mapping", launch_.block_per_row ? "block per row" : launch_.subwarp ? std::to_string(launch_.subwarp) + " threads per row" : "warp per row"},
        {"loads", std::string(launch_.aligned ? "aligned " : "naive ") + std::to_string(launch_.vector_bytes) + " B, " +
                      std::to_string(gather_in_flight(launch_)) + " in flight a lane"},
        {"grid", std::to_string(launch_.grid)},
        {"block", std::to_string(launch_.block)},
        {"occupancy", occupancy_}};
    if (c_.method == "zerocopy-sorted") d["order"] = "indices radix-sorted on the GPU inside the timed region, rows written back to their batch positions";
    if (c_.method == "cached-zerocopy") {
      char buf[160];
      snprintf(buf, sizeof buf, "%.6f", looked_up_ ? double(hits_) / double(looked_up_) : 0.0);
      d["cache hit rate"] = buf;  // over the index sets gathered (verified and timed)
      d["cache rows"] = std::to_string(cache_rows_);
      d["cache share"] = std::to_string(double(cache_rows_) / double(t_.rows()));
      snprintf(buf, sizeof buf, "%.3f", cache_build_seconds_);
      d["cache build seconds"] = buf;  // not timed
      d["cache chosen from"] = "a warm-up trace of " + std::to_string(trace_) + " indices (its own seed), hottest first";
      d["set-0 miss repeats"] = set0_misses_;  // the model's input (harness/model/index-reuse.ts)
    }
    return d;
  }

 private:
  int64_t* slot_idx(int slot) const { return idx_.as<int64_t>() + uint64_t(slot) * c_.batch; }

  // Copies of the whole storage: one copy serves every table shape of the run. The bench holds the copy it
  // reads (copy_), so dropping or replacing the kept one never frees memory a live bench reads.
  void* device_copy() {
    const uint64_t bytes = t_.storage().bytes() + HostTable::kPadBytes;
    copy_ = t_.storage().copy_or_make("device:" + std::to_string(device_), [](const std::shared_ptr<void>&) { return true; }, [&] {
      auto copy = std::make_shared<TableCopy>();
      copy->device = device_;
      if (cudaMalloc(&copy->p, bytes) != cudaSuccess) {
        cudaGetLastError();
        copy->p = nullptr;
        throw Error("OOM", "out of device memory for the device-resident table (needed " + human_bytes(double(bytes)) +
                               ", free " + free_device_memory() + ")");
      }
      check(cudaMemcpy(copy->p, t_.data(), bytes, cudaMemcpyHostToDevice), "copying the table to the GPU");
      return std::shared_ptr<void>(copy);
    });
    return static_cast<TableCopy*>(copy_.get())->p;
  }

  // The managed copy is made once per table and advice; each point starts
  // with it back in host memory, so no point inherits another's migrations.
  void* managed_copy() {
    const uint64_t bytes = t_.storage().bytes() + HostTable::kPadBytes;
    const std::string& a = c_.uvm_advise;
    if (a != "none" && a != "read-mostly" && a != "prefer-host")
      throw Error("BAD_ARGUMENT", "unknown uvm advice '" + a + "' (none, read-mostly, prefer-host)");
    auto same_advice = [&](const std::shared_ptr<void>& kept) { return static_cast<TableCopy*>(kept.get())->advice == a; };
    copy_ = t_.storage().copy_or_make("managed:" + std::to_string(device_), same_advice, [&] {
      int managed = 0;
      cudaDeviceGetAttribute(&managed, cudaDevAttrManagedMemory, device_);
      if (!managed) throw Error("UNSUPPORTED", "this device does not support managed memory");
      size_t free_b = 0, total_b = 0;
      check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
      // Asking for more managed memory than the GPU has free can hang it.
      if (double(bytes) > 0.8 * double(free_b))
        throw Error("OOM", "managed table of " + human_bytes(double(bytes)) + " exceeds 80% of free device memory (" +
                               human_bytes(double(free_b)) + ")");
      auto fresh = std::make_shared<TableCopy>();
      fresh->device = device_;
      fresh->advice = a;
      check(cudaMallocManaged(&fresh->p, bytes, cudaMemAttachGlobal), "cudaMallocManaged");
      uint8_t* dst = static_cast<uint8_t*>(fresh->p);
      constexpr uint64_t kBlock = 1 << 20;
      pool_.parallel_for(int64_t((bytes + kBlock - 1) / kBlock), [&](int64_t b, int64_t e, unsigned) {
        const uint64_t lo = uint64_t(b) * kBlock, hi = std::min(bytes, uint64_t(e) * kBlock);
        std::memcpy(dst + lo, t_.data() + lo, hi - lo);
      });
      advise(fresh->p, bytes, a);
      return std::shared_ptr<void>(fresh);
    });
    void* p = static_cast<TableCopy*>(copy_.get())->p;
    reset_residency(p);
    return p;
  }

  // Moves the managed table back to host memory. Read-mostly duplicates would
  // survive a prefetch, so that advice is lifted around it.
  void reset_residency(void* p) {
    const uint64_t bytes = t_.storage().bytes() + HostTable::kPadBytes;
    const std::string& a = c_.uvm_advise;
    if (a == "read-mostly")
      check(cudaMemAdvise(p, bytes, cudaMemAdviseUnsetReadMostly, cudaMemLocation{cudaMemLocationTypeDevice, device_}),
            "cudaMemAdvise");
    check(cudaMemPrefetchAsync(p, bytes, cudaMemLocation{cudaMemLocationTypeHost, 0}, 0, stream_.s),
          "prefetching the managed table to host memory");
    check(cudaStreamSynchronize(stream_.s), "prefetching the managed table to host memory");
    if (a == "read-mostly") advise(p, bytes, a);
  }

  void advise(void* p, uint64_t bytes, const std::string& a) {
    int concurrent = 0;
    cudaDeviceGetAttribute(&concurrent, cudaDevAttrConcurrentManagedAccess, device_);
    if (a == "read-mostly") {
      check(cudaMemAdvise(p, bytes, cudaMemAdviseSetReadMostly, cudaMemLocation{cudaMemLocationTypeDevice, device_}),
            "cudaMemAdvise");
    } else if (a == "prefer-host") {
      check(cudaMemAdvise(p, bytes, cudaMemAdviseSetPreferredLocation, cudaMemLocation{cudaMemLocationTypeHost, 0}),
            "cudaMemAdvise");
      if (concurrent)
        check(cudaMemAdvise(p, bytes, cudaMemAdviseSetAccessedBy, cudaMemLocation{cudaMemLocationTypeDevice, device_}),
              "cudaMemAdvise");
    }
  }

  // The hottest rows of a warm-up trace (cache_plan.h) go to a device cache; slot_of maps a row to its
  // cache slot or -1. A uniform distribution's hit rate equals the cached share.
  void build_cache() {
    const auto t0 = std::chrono::steady_clock::now();
    const uint64_t rows = t_.rows(), rb = t_.row_bytes();
    const uint64_t want = c_.cache_bytes > 0 ? c_.cache_bytes / rb : uint64_t(c_.cache_share * double(rows) + 0.5);
    CachePlan plan = plan_cache(c_.dist, rows, want, c_.batch, c_.seed, pool_);
    trace_ = plan.trace;
    host_slot_of_ = std::move(plan.slot_of);
    const std::vector<int64_t>& chosen = plan.rows;
    cache_rows_ = chosen.size();
    slot_of_ = Lease(BufferKind::DeviceCacheMap, device_, rows * sizeof(int32_t), "the cache map");
    upload(slot_of_.get(), host_slot_of_.data(), rows * sizeof(int32_t), "uploading the cache map");
    cache_ = Lease(BufferKind::DeviceCache, device_, cache_rows_ * rb + HostTable::kPadBytes, "the row cache");
    if (cache_rows_) {  // filled by the gather kernel itself, reading the rows through the mapping
      Lease ids(BufferKind::DeviceCacheIds, device_, cache_rows_ * sizeof(int64_t), "the cache row list");
      upload(ids.get(), chosen.data(), cache_rows_ * sizeof(int64_t), "uploading the cache rows");
      GatherLaunch fill;
      fill.table = t_.device_view();
      fill.idx = ids.as<int64_t>();
      fill.n = int64_t(cache_rows_);
      fill.out = cache_.get();
      fill.row_bytes = int64_t(rb);
      fill.elem_bytes = c_.elem_bytes;
      fill.vector_bytes = c_.elem_bytes;
      check(resolve_grid(fill, device_), "sizing the cache fill");
      check(launch_gather(fill, stream_.s), "filling the cache");
      check(cudaStreamSynchronize(stream_.s), "filling the cache");
      check_cache(ids.as<int64_t>(), chosen);
    }
    cache_build_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  // A host vector to device memory, ordered on the method's stream before the work queued after it. A plain
  // cudaMemcpy from pageable memory returns once its bytes are staged, its DMA still running on the legacy
  // stream, which the method's non-blocking stream does not wait for: the fill kernel read cache slots
  // before they arrived (#34; GATHERBENCH_TEST_UNORDERED_UPLOAD plants that copy back).
  void upload(void* dst, const void* src, uint64_t bytes, const char* what) {
    if (test_unordered_upload()) return check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), what);
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream_.s), what);
    check(cudaStreamSynchronize(stream_.s), what);
  }

  // Every cached byte held to the table's pattern right after the fill, so a wrong cache fails its point
  // here, naming the slot, instead of surfacing as a random output row of some sample.
  void check_cache(const int64_t* ids, const std::vector<int64_t>& chosen) {
    const uint64_t rb = t_.row_bytes();
    unsigned long long* r = check_.as<unsigned long long>();
    check(launch_pattern_check(cache_.get(), ids, int64_t(cache_rows_ * rb), int64_t(rb), t_.storage().seed(), r, stream_.s),
          "checking the cache");
    unsigned long long got[2] = {0, 0};
    check(cudaMemcpyAsync(got, r, sizeof got, cudaMemcpyDeviceToHost, stream_.s), "checking the cache");
    check(cudaStreamSynchronize(stream_.s), "checking the cache");
    if (got[1] >= cache_rows_ * rb) return;
    const uint64_t slot = got[1] / rb;
    throw Error("VERIFY", "the GPU cache's slot " + std::to_string(slot) + " (table row " + std::to_string(chosen[slot]) +
                              ") differs from the table right after its fill");
  }

  // Where a cached-zerocopy output row came from, for a failed verification: a miss (host memory) or a hit,
  // and whether the cache's copy of that row still matches the table.
  std::string cache_side(int64_t row) {
    const int32_t s = host_slot_of_[size_t(row)];
    if (s < 0) return "; a cache miss, read from host memory";
    const uint8_t* cached = cache_.get() + uint64_t(s) * t_.row_bytes();
    const bool now_ok = pattern_check({row}, cached).second == ~0ull;
    return "; a cache hit (slot " + std::to_string(s) + "), whose cached copy " +
           (now_ok ? "matches the table now" : "differs from the table");
  }

  std::shared_ptr<void> copy_;  // the device or managed table copy src_ points into (device-resident, uvm)
  const uint8_t* src_ = nullptr;
  bool in_device_memory_ = false;  // device-resident: the flush's device write evicts all its reads leave
  std::string where_, occupancy_ = "unknown";
  Lease idx_, host_idx_;
  Lease slot_of_, cache_;
  Lease sorted_, out_pos_, positions_, sort_temp_;  // zerocopy-sorted
  size_t sort_temp_bytes_ = 0;
  int end_bit_ = 1;
  std::vector<int32_t> host_slot_of_;
  std::string set0_misses_;
  uint64_t cache_rows_ = 0, trace_ = 0, hits_ = 0, looked_up_ = 0;
  double cache_build_seconds_ = 0;
  GatherLaunch launch_;
};

// Every method is made as Quiesced<M>: the most-derived destructor runs first, so it waits for the stream
// before any class's members go (members go subclass first; the base's own wait would come after a
// subclass's buffers and table copy were already let go).
template <typename M>
class Quiesced final : public M {
 public:
  using M::M;
  ~Quiesced() override { this->quiesce(); }
};

}  // namespace

std::unique_ptr<CudaMethod> make_cuda_method_of(const MethodEntry& e, const MethodConfig& c, const HostTable& t, ThreadPool& pool) {
  switch (e.maker) {
    case Maker::PinnedMemcpy:
      if (c.batch > t.rows())
        throw Error("BAD_ARGUMENT", "pinned-memcpy copies batch consecutive rows: batch " + std::to_string(c.batch) +
                                        " > table rows " + std::to_string(t.rows()));
      return std::make_unique<Quiesced<PinnedMemcpy>>(c, t, pool);
    case Maker::CpuGatherMemcpy:
      return std::make_unique<Quiesced<CpuGatherMemcpy>>(c, t, pool);
    case Maker::CopyEngineRows:
      return std::make_unique<Quiesced<CopyEngineRows>>(c, t, pool);
    case Maker::CopyEngineBatch:
      return std::make_unique<Quiesced<CopyEngineBatch>>(c, t, pool);
    case Maker::KernelGather:
      return std::make_unique<Quiesced<KernelGather>>(c, t, pool, kernel_vector_bytes(e, c, t), e.source);
    default:
      return nullptr;
  }
}

std::unique_ptr<Method> make_cuda_method(const MethodEntry& e, const MethodConfig& c, const HostTable& t, ThreadPool& pool) {
  if (e.maker == Maker::TrainingStep) return make_training_step(e, c, t, pool);
  auto m = make_cuda_method_of(e, c, t, pool);
  if (!m) throw Error("UNSUPPORTED", std::string("method '") + e.name + "' is not a GPU method");
  return m;
}

}  // namespace gb
