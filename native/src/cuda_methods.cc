// The GPU methods. Each times its own work with CUDA events on one stream.
// GPU-only work is queued behind a launch gate, so the events time the work
// and not the launch; the CPU path is timed end to end (its CPU gather is
// part of what it costs).
#include "cuda_methods.h"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "../../kernels/gather.h"
#include "test_switches.h"

namespace gb {

CudaMethod::CudaMethod(const MethodConfig& c, const HostTable& t, ThreadPool& pool)
    : Method(t, pool, c.batch * t.row_bytes()), c_(c), device_(select_device(c.device)),
      e1_(cudaEventBlockingSync) /* waited on: the waiting thread sleeps */ {
  out_ = Lease(BufferKind::DeviceOut, c.device, (out_bytes_ + 15) / 16 * 16, "the output");
  sum_ = Lease(BufferKind::DeviceSum, c.device, sizeof(unsigned long long), "the checksum");
  host_out_ = Lease(BufferKind::PinnedVerify, c.device,
                    std::max(std::min(out_bytes_, full_verify_bytes()), t.row_bytes()) + 16, "the verification buffer");
}

CudaMethod::~CudaMethod() {
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

void CudaMethod::flush() { flush_device_caches(device_, stream_.s); }

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

void CudaMethod::corrupt_row_for_test(int64_t row) {
  uint8_t* p = out_.get() + uint64_t(row) * t_.row_bytes();
  uint8_t b = 0;
  check(cudaMemcpy(&b, p, 1, cudaMemcpyDeviceToHost), "test corruption");
  b ^= 0xFF;
  check(cudaMemcpy(p, &b, 1, cudaMemcpyHostToDevice), "test corruption");
}

std::pair<double, double> CudaMethod::launch_latency_us() {
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
  if (test_cuda_error_gpu() >= 0 && test_cuda_error_gpu() == gpu_index_)
    check(cudaMemsetAsync(nullptr, 0, 1, stream_.s), "planted CUDA error on GPU " + std::to_string(gpu_index_) +
                                                         " (GATHERBENCH_TEST_CUDA_ERROR)");
  enqueue_work(slot);
  planted_delay();
  check(cudaEventRecord(e1_.e, stream_.s), "cudaEventRecord");
}

double CudaMethod::finish(const LaunchGate& gate) {
  check(cudaEventSynchronize(e1_.e), "waiting for the sample");
  if (gate.timed_out())
    throw Error("CUDA", "the launch gate timed out: queueing a sample took longer than " +
                            std::to_string(LaunchGate::kTimeoutNs / 1000000000) + " s");
  return last_seconds_ = elapsed(e0_.e, e1_.e);
}

Sample CudaMethod::run(int slot, const std::vector<int64_t>&) {
  gate_.arm();
  {
    GateRelease rel{gate_};
    queue(gate_, slot);
  }
  const double s = finish(gate_);
  return Sample{s, NAN, NAN};
}

void CudaMethod::planted_delay() {
  const double ns = test_slowdown_us() * 1e3 + last_seconds_ * 1e9 * test_slowdown_pct() / 100;
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
  void enqueue_work(int) override {}
  Sample run(int, const std::vector<int64_t>& idx) override {
    using Clock = std::chrono::steady_clock;
    const uint64_t rb = t_.row_bytes(), n = idx.size();
    const uint64_t chunks = std::max<uint64_t>(1, std::min<uint64_t>(uint64_t(c_.pipeline), n));
    uint8_t* staging = staging_.get();
    double gather = 0;
    check(cudaEventRecord(e0_.e, stream_.s), "cudaEventRecord");
    if (test_cuda_error_gpu() >= 0 && test_cuda_error_gpu() == gpu_index_)
      check(cudaMemsetAsync(nullptr, 0, 1, stream_.s), "planted CUDA error on GPU " + std::to_string(gpu_index_) +
                                                           " (GATHERBENCH_TEST_CUDA_ERROR)");
    for (uint64_t k = 0; k < chunks; ++k) {
      const uint64_t r0 = n * k / chunks, r1 = n * (k + 1) / chunks;
      auto g0 = Clock::now();
      pool_.parallel_for(int64_t(r1 - r0), [&](int64_t b, int64_t e, unsigned) {
        for (int64_t j = int64_t(r0) + b; j < int64_t(r0) + e; ++j)
          std::memcpy(staging + uint64_t(j) * rb, t_.data() + uint64_t(idx[j]) * rb, rb);
      });
      gather += std::chrono::duration<double>(Clock::now() - g0).count();
      if (chunks == 1) check(cudaEventRecord(e_mid_.e, stream_.s), "cudaEventRecord");
      check(cudaMemcpyAsync(out_.get() + r0 * rb, staging + r0 * rb, (r1 - r0) * rb, cudaMemcpyHostToDevice, stream_.s),
            "cudaMemcpyAsync");
    }
    planted_delay();
    check(cudaEventRecord(e1_.e, stream_.s), "cudaEventRecord");
    Sample s{finish(gate_), gather, NAN};
    if (chunks == 1) s.copy = elapsed(e_mid_.e, e1_.e);
    return s;
  }
  std::map<std::string, std::string> details() const override {
    return {{"threads", std::to_string(pool_.size())}, {"pipeline", std::to_string(c_.pipeline)},
            {"staging", "cudaHostAlloc (pinned)"}};
  }
  std::pair<double, double> launch_latency_us() override { return {NAN, NAN}; }  // timed end to end

 private:
  Lease staging_;
};

// Everything that can be refused is refused before anything is allocated.
int kernel_vector_bytes(const MethodConfig& c, const HostTable& t) {
  const std::string& m = c.method;
  const int v = c.vector_bytes > 0 ? c.vector_bytes : c.elem_bytes;
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
  if ((m == "zerocopy-naive" || m == "zerocopy-aligned") && !t.device_view())
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
  KernelGather(const MethodConfig& c, const HostTable& t, ThreadPool& pool, int vector_bytes)
      : CudaMethod(c, t, pool) {
    const std::string& m = c.method;
    if (m == "device-resident") {
      src_ = static_cast<const uint8_t*>(device_copy());
      where_ = "device memory";
    } else if (m == "uvm") {
      src_ = static_cast<const uint8_t*>(managed_copy());
      where_ = "managed memory (advice: " + c.uvm_advise +
               "; back in host memory at the start of the point, then left where its warm-up and samples moved it)";
    } else {
      src_ = t.device_view();
      where_ = "mapped host memory";
    }
    launch_.table = src_;
    launch_.n = int64_t(c.batch);
    launch_.out = out_.get();
    launch_.row_bytes = int64_t(t.row_bytes());
    launch_.elem_bytes = c.elem_bytes;
    launch_.aligned = m != "zerocopy-naive";
    launch_.vector_bytes = vector_bytes;
    launch_.block_per_row = c.mapping == "block";
    launch_.block = c.block;
    launch_.grid = c.grid;
    check(resolve_grid(launch_, c.device), "sizing the grid");
  }
  // Index sets live on the GPU before the clock starts, as in PyTorch-Direct.
  void reserve_sets(int n) override {
    const uint64_t bytes = c_.batch * sizeof(int64_t);
    idx_ = Lease(BufferKind::DeviceIdx, device_, bytes * uint64_t(n), "the index sets");
    host_idx_ = Lease(BufferKind::PinnedIdx, device_, bytes, "the index staging buffer");
  }
  void load_set(int slot, std::vector<int64_t>& idx) override {
    const uint64_t bytes = idx.size() * sizeof(int64_t);
    std::memcpy(host_idx_.get(), idx.data(), bytes);
    check(cudaMemcpyAsync(slot_idx(slot), host_idx_.get(), bytes, cudaMemcpyHostToDevice, stream_.s), "uploading indices");
    check(cudaStreamSynchronize(stream_.s), "uploading indices");
  }
  void enqueue_work(int slot) override {
    launch_.idx = slot_idx(slot);
    check(launch_gather(launch_, stream_.s), "gather kernel launch");
  }
  std::map<std::string, std::string> details() const override {
    return {{"table", where_},
            {"mapping", launch_.block_per_row ? "block per row" : "warp per row"},
            {"loads", std::string(launch_.aligned ? "aligned " : "naive ") + std::to_string(launch_.vector_bytes) + " B"},
            {"grid", std::to_string(launch_.grid)},
            {"block", std::to_string(launch_.block)}};
  }

 private:
  int64_t* slot_idx(int slot) const { return idx_.as<int64_t>() + uint64_t(slot) * c_.batch; }

  // Copies of the whole storage: one copy serves every table shape of the run.
  void* device_copy() {
    const std::string key = "device:" + std::to_string(device_);
    if (auto kept = t_.copy(key)) return static_cast<TableCopy*>(kept.get())->p;
    const uint64_t bytes = t_.storage().bytes() + HostTable::kPadBytes;
    auto copy = std::make_shared<TableCopy>();
    copy->device = device_;
    if (cudaMalloc(&copy->p, bytes) != cudaSuccess) {
      cudaGetLastError();
      copy->p = nullptr;
      throw Error("OOM", "out of device memory for the device-resident table (needed " + human_bytes(double(bytes)) +
                             ", free " + free_device_memory() + ")");
    }
    check(cudaMemcpy(copy->p, t_.data(), bytes, cudaMemcpyHostToDevice), "copying the table to the GPU");
    t_.keep_copy(key, copy);
    return copy->p;
  }

  // The managed copy is made once per table and advice; each point starts
  // with it back in host memory, so no point inherits another's migrations.
  void* managed_copy() {
    const std::string key = "managed:" + std::to_string(device_);
    const uint64_t bytes = t_.storage().bytes() + HostTable::kPadBytes;
    const std::string& a = c_.uvm_advise;
    if (a != "none" && a != "read-mostly" && a != "prefer-host")
      throw Error("BAD_ARGUMENT", "unknown uvm advice '" + a + "' (none, read-mostly, prefer-host)");
    std::shared_ptr<void> kept = t_.copy(key);
    TableCopy* copy = static_cast<TableCopy*>(kept.get());
    if (!copy || copy->advice != a) {
      t_.keep_copy(key, nullptr);  // free the old advice's copy first
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
      t_.keep_copy(key, fresh);
      kept = fresh;
      copy = fresh.get();
    }
    reset_residency(copy->p);
    return copy->p;
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

  const uint8_t* src_ = nullptr;
  std::string where_;
  Lease idx_, host_idx_;
  GatherLaunch launch_;
};

}  // namespace

std::unique_ptr<CudaMethod> make_cuda_method_of(const MethodConfig& c, const HostTable& t, ThreadPool& pool) {
  if (c.method == "pinned-memcpy") {
    if (c.batch > t.rows())
      throw Error("BAD_ARGUMENT", "pinned-memcpy copies batch consecutive rows: batch " + std::to_string(c.batch) +
                                      " > table rows " + std::to_string(t.rows()));
    return std::make_unique<PinnedMemcpy>(c, t, pool);
  }
  if (c.method == "cpu-gather-memcpy") return std::make_unique<CpuGatherMemcpy>(c, t, pool);
  if (c.method == "zerocopy-naive" || c.method == "zerocopy-aligned" || c.method == "device-resident" ||
      c.method == "uvm")
    return std::make_unique<KernelGather>(c, t, pool, kernel_vector_bytes(c, t));
  return nullptr;
}

std::unique_ptr<Method> make_cuda_method(const MethodConfig& c, const HostTable& t, ThreadPool& pool) {
  return make_cuda_method_of(c, t, pool);
}

}  // namespace gb
