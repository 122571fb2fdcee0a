// The GPU methods. Each times its own work with CUDA events on one stream,
// after the untimed steps (index upload, output poisoning) have finished.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "../../kernels/gather.h"
#include "errors.h"
#include "hash.h"
#include "method.h"
#include "test_slowdown.h"

namespace gb {
namespace {

void check(cudaError_t e, const std::string& what) {
  if (e == cudaSuccess) return;
  cudaGetLastError();
  throw Error(e == cudaErrorMemoryAllocation ? "OOM" : "CUDA", what + ": " + cudaGetErrorString(e));
}

std::string free_device_memory() {
  size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) return "unknown";
  return human_bytes(double(free_b));
}

void* device_alloc(uint64_t bytes, const std::string& what) {
  void* p = nullptr;
  if (cudaMalloc(&p, bytes) != cudaSuccess) {
    cudaGetLastError();
    throw Error("OOM", "out of device memory for " + what + " (needed " + human_bytes(double(bytes)) + ", free " +
                           free_device_memory() + ")");
  }
  return p;
}

// Outputs up to this size are copied back and compared whole; larger ones are
// checked on sampled rows plus a checksum of every byte.
constexpr uint64_t kFullVerifyBytes = 64ull << 20;
constexpr int kSampledRows = 1024;

uint64_t expected_checksum(const HostTable& t, const std::vector<int64_t>& idx, ThreadPool& pool) {
  const uint64_t rb = t.row_bytes(), bytes = idx.size() * rb, words = (bytes + 7) / 8;
  std::vector<uint64_t> partial(pool.size(), 0);
  pool.parallel_for(int64_t(words), [&](int64_t wb, int64_t we, unsigned id) {
    uint64_t acc = 0;
    if (rb % 8 == 0) {
      for (int64_t w = wb; w < we; ++w) {
        uint64_t o = uint64_t(w) * 8, row = o / rb;
        uint64_t word;
        std::memcpy(&word, t.data() + uint64_t(idx[row]) * rb + (o - row * rb), 8);
        acc += checksum_term(word, uint64_t(w));
      }
    } else {
      uint64_t o = uint64_t(wb) * 8, row = o / rb, off = o - row * rb;
      for (int64_t w = wb; w < we; ++w) {
        uint64_t word = 0;
        for (int b = 0; b < 8 && row < idx.size(); ++b) {
          word |= uint64_t(t.data()[uint64_t(idx[row]) * rb + off]) << (8 * b);
          if (++off == rb) { off = 0; ++row; }
        }
        acc += checksum_term(word, uint64_t(w));
      }
    }
    partial[id] += acc;
  });
  uint64_t sum = 0;
  for (uint64_t p : partial) sum += p;
  return sum;
}

// What every GPU method shares: a stream, events, the device output, its
// verification.
class CudaMethod : public Method {
 public:
  CudaMethod(const MethodConfig& c, const HostTable& t, ThreadPool& pool)
      : c_(c), t_(t), pool_(pool), out_bytes_(c.batch * t.row_bytes()) {
    try {
      check(cudaSetDevice(c.device), "cudaSetDevice");
      check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
      // e1 is waited on: a blocking-sync event lets the waiting thread sleep.
      check(cudaEventCreate(&e0_), "cudaEventCreate");
      check(cudaEventCreate(&e_mid_), "cudaEventCreate");
      check(cudaEventCreateWithFlags(&e1_, cudaEventBlockingSync), "cudaEventCreate");
      out_ = static_cast<uint8_t*>(device_alloc((out_bytes_ + 15) / 16 * 16, "the output"));
      sum_ = static_cast<unsigned long long*>(device_alloc(sizeof(unsigned long long), "the checksum"));
      check(cudaHostAlloc(reinterpret_cast<void**>(&host_out_), std::min(out_bytes_, kFullVerifyBytes) + 16, 0),
            "cudaHostAlloc (verification buffer)");
    } catch (...) {
      release_base();
      throw;
    }
  }
  ~CudaMethod() override { release_base(); }

  void bind_thread() override { check(cudaSetDevice(c_.device), "cudaSetDevice"); }
  void poison(uint8_t byte) override {
    check(cudaMemsetAsync(out_, byte, out_bytes_, stream_), "poisoning the output");
    check(cudaStreamSynchronize(stream_), "poisoning the output");
  }

  Verdict verify(const std::vector<int64_t>& idx) override {
    check(cudaStreamSynchronize(stream_), "before verification");
    const uint64_t rb = t_.row_bytes();
    if (out_bytes_ <= kFullVerifyBytes) {
      check(cudaMemcpy(host_out_, out_, out_bytes_, cudaMemcpyDeviceToHost), "copying the output back");
      return compare_rows(host_out_, t_, idx, 0, int64_t(idx.size()), pool_);
    }
    // Sampled rows: the first, the last, and evenly spread ones in between.
    const int64_t n = int64_t(idx.size());
    std::vector<int64_t> rows;
    for (int i = 0; i < kSampledRows; ++i) rows.push_back(int64_t(uint64_t(i) * uint64_t(n - 1) / (kSampledRows - 1)));
    Verdict v;
    v.mode = "sampled+checksum";
    for (int64_t r : rows) {
      check(cudaMemcpy(host_out_, out_ + uint64_t(r) * rb, rb, cudaMemcpyDeviceToHost), "copying a row back");
      if (std::memcmp(host_out_, t_.data() + uint64_t(idx[r]) * rb, rb) != 0) {
        v.ok = false;
        v.bad_row = r;
        v.detail = "output row " + std::to_string(r) + " (table row " + std::to_string(idx[r]) + ") differs";
        return v;
      }
    }
    check(launch_checksum(out_, int64_t(out_bytes_), sum_, stream_), "checksum kernel");
    unsigned long long got = 0;
    check(cudaMemcpyAsync(&got, sum_, sizeof got, cudaMemcpyDeviceToHost, stream_), "checksum copy");
    check(cudaStreamSynchronize(stream_), "checksum");
    v.rows_checked = rows.size();
    if (got != expected_checksum(t_, idx, pool_)) return find_first_bad_row(idx);
    return v;
  }

 protected:
  // The checksum disagreed: scan the whole output in pieces to name the row.
  Verdict find_first_bad_row(const std::vector<int64_t>& idx) {
    const uint64_t rb = t_.row_bytes();
    const int64_t per = int64_t(std::max<uint64_t>(1, kFullVerifyBytes / rb));
    for (int64_t r0 = 0; r0 < int64_t(idx.size()); r0 += per) {
      const int64_t r1 = std::min<int64_t>(int64_t(idx.size()), r0 + per);
      check(cudaMemcpy(host_out_, out_ + uint64_t(r0) * rb, uint64_t(r1 - r0) * rb, cudaMemcpyDeviceToHost),
            "copying the output back");
      std::vector<int64_t> part(idx.begin() + r0, idx.begin() + r1);
      Verdict v = compare_rows(host_out_, t_, part, 0, r1 - r0, pool_);
      if (!v.ok) {
        v.bad_row += r0;
        v.detail = "output row " + std::to_string(v.bad_row) + " (table row " + std::to_string(idx[v.bad_row]) +
                   ") differs";
        return v;
      }
    }
    Verdict v;
    v.ok = false;
    v.detail = "checksum mismatch, but every row compares equal on re-read (output changed after the kernel?)";
    return v;
  }

  void release_base() {
    cudaSetDevice(c_.device);
    if (stream_) cudaStreamSynchronize(stream_);
    if (out_) cudaFree(out_);
    if (sum_) cudaFree(sum_);
    if (host_out_) cudaFreeHost(host_out_);
    for (auto e : {e0_, e_mid_, e1_})
      if (e) cudaEventDestroy(e);
    if (stream_) cudaStreamDestroy(stream_);
    cudaGetLastError();
  }

  // Inside the timed region, just before the closing event.
  void planted_delay() {
    if (test_slowdown_us() > 0) check(launch_delay(uint64_t(test_slowdown_us() * 1e3), stream_), "delay kernel");
  }

  float elapsed(cudaEvent_t a, cudaEvent_t b) {
    float ms = 0;
    check(cudaEventElapsedTime(&ms, a, b), "cudaEventElapsedTime");
    return ms;
  }

  MethodConfig c_;
  const HostTable& t_;
  ThreadPool& pool_;
  uint64_t out_bytes_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t e0_ = nullptr, e_mid_ = nullptr, e1_ = nullptr;
  uint8_t* out_ = nullptr;
  unsigned long long* sum_ = nullptr;
  uint8_t* host_out_ = nullptr;
};

// The ceiling: one contiguous cudaMemcpyAsync of the same number of bytes.
class PinnedMemcpy : public CudaMethod {
 public:
  using CudaMethod::CudaMethod;
  Sample run_once(std::vector<int64_t>& idx) override {
    make_contiguous(idx, t_.rows());
    check(cudaEventRecord(e0_, stream_), "cudaEventRecord");
    check(cudaMemcpyAsync(out_, t_.data() + uint64_t(idx[0]) * t_.row_bytes(), out_bytes_, cudaMemcpyHostToDevice,
                          stream_),
          "cudaMemcpyAsync");
    planted_delay();
    check(cudaEventRecord(e1_, stream_), "cudaEventRecord");
    check(cudaEventSynchronize(e1_), "pinned memcpy");
    const double s = elapsed(e0_, e1_) / 1e3;
    return Sample{s, NAN, s};
  }
  bool contiguous() const override { return true; }
  std::map<std::string, std::string> details() const override {
    return {{"source", t_.pinned() ? "pinned" : "pageable (table not pinned)"}};
  }
};

// The paper's baseline: CPU threads gather into a pinned staging buffer, then
// cudaMemcpyAsync moves it to the GPU; with pipeline > 1 the batch goes in
// chunks so gathering chunk k+1 overlaps copying chunk k.
class CpuGatherMemcpy : public CudaMethod {
 public:
  CpuGatherMemcpy(const MethodConfig& c, const HostTable& t, ThreadPool& pool) : CudaMethod(c, t, pool) {
    if (cudaHostAlloc(reinterpret_cast<void**>(&staging_), out_bytes_, 0) != cudaSuccess) {
      cudaGetLastError();
      throw Error("OOM", "cudaHostAlloc could not pin a staging buffer of " + human_bytes(double(out_bytes_)));
    }
  }
  ~CpuGatherMemcpy() override { cudaFreeHost(staging_); }
  void poison(uint8_t byte) override {
    std::memset(staging_, byte, out_bytes_);
    CudaMethod::poison(byte);
  }
  Sample run_once(std::vector<int64_t>& idx) override {
    using Clock = std::chrono::steady_clock;
    const uint64_t rb = t_.row_bytes(), n = idx.size();
    const uint64_t chunks = std::max<uint64_t>(1, std::min<uint64_t>(uint64_t(c_.pipeline), n));
    double gather = 0;
    check(cudaEventRecord(e0_, stream_), "cudaEventRecord");
    for (uint64_t k = 0; k < chunks; ++k) {
      const uint64_t r0 = n * k / chunks, r1 = n * (k + 1) / chunks;
      auto g0 = Clock::now();
      pool_.parallel_for(int64_t(r1 - r0), [&](int64_t b, int64_t e, unsigned) {
        for (int64_t j = int64_t(r0) + b; j < int64_t(r0) + e; ++j)
          std::memcpy(staging_ + uint64_t(j) * rb, t_.data() + uint64_t(idx[j]) * rb, rb);
      });
      gather += std::chrono::duration<double>(Clock::now() - g0).count();
      if (chunks == 1) check(cudaEventRecord(e_mid_, stream_), "cudaEventRecord");
      check(cudaMemcpyAsync(out_ + r0 * rb, staging_ + r0 * rb, (r1 - r0) * rb, cudaMemcpyHostToDevice, stream_),
            "cudaMemcpyAsync");
    }
    planted_delay();
    check(cudaEventRecord(e1_, stream_), "cudaEventRecord");
    check(cudaEventSynchronize(e1_), "gather + copy");
    Sample s{elapsed(e0_, e1_) / 1e3, gather, NAN};
    if (chunks == 1) s.copy = elapsed(e_mid_, e1_) / 1e3;
    return s;
  }
  std::map<std::string, std::string> details() const override {
    return {{"threads", std::to_string(pool_.size())}, {"pipeline", std::to_string(c_.pipeline)},
            {"staging", "cudaHostAlloc (pinned)"}};
  }

 private:
  uint8_t* staging_ = nullptr;
};

// The GPU gathers with the kernel in kernels/gather.cu, reading the table
// where the method puts it: mapped host memory (zero-copy), device memory,
// or managed memory.
class KernelGather : public CudaMethod {
 public:
  KernelGather(const MethodConfig& c, const HostTable& t, ThreadPool& pool) : CudaMethod(c, t, pool) {
    const std::string& m = c.method;
    const int v = c.vector_bytes > 0 ? c.vector_bytes : c.elem_bytes;
    // Everything that can be refused is refused before anything is allocated.
    if (m != "zerocopy-naive" && m != "zerocopy-aligned" && m != "device-resident" && m != "uvm")
      throw Error("BAD_ARGUMENT", "unknown GPU method '" + m + "'");
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
    try {
      const uint64_t table_alloc = t.bytes() + HostTable::kPadBytes;
      if (m == "device-resident") {
        owned_ = device_alloc(table_alloc, "the device-resident table");
        check(cudaMemcpy(owned_, t.data(), table_alloc, cudaMemcpyHostToDevice), "copying the table to the GPU");
        src_ = static_cast<const uint8_t*>(owned_);
        where_ = "device memory";
      } else if (m == "uvm") {
        init_managed(table_alloc);
      } else {
        src_ = t.device_view();
        where_ = "mapped host memory";
      }
      idx_ = static_cast<int64_t*>(device_alloc(c.batch * sizeof(int64_t), "the indices"));
      check(cudaHostAlloc(reinterpret_cast<void**>(&host_idx_), c.batch * sizeof(int64_t), 0), "cudaHostAlloc (indices)");
      launch_.table = src_;
      launch_.idx = idx_;
      launch_.n = int64_t(c.batch);
      launch_.out = out_;
      launch_.row_bytes = int64_t(t.row_bytes());
      launch_.elem_bytes = c.elem_bytes;
      launch_.aligned = m != "zerocopy-naive";
      launch_.vector_bytes = v;
      launch_.block_per_row = c.mapping == "block";
      launch_.block = c.block;
      launch_.grid = c.grid;
      check(resolve_grid(launch_, c.device), "sizing the grid");
    } catch (...) {
      release();
      throw;
    }
  }
  ~KernelGather() override { release(); }
  Sample run_once(std::vector<int64_t>& idx) override {
    // Indices live on the GPU before the clock starts, as in PyTorch-Direct.
    std::memcpy(host_idx_, idx.data(), idx.size() * sizeof(int64_t));
    check(cudaMemcpyAsync(idx_, host_idx_, idx.size() * sizeof(int64_t), cudaMemcpyHostToDevice, stream_),
          "uploading indices");
    check(cudaStreamSynchronize(stream_), "uploading indices");
    check(cudaEventRecord(e0_, stream_), "cudaEventRecord");
    check(launch_gather(launch_, stream_), "gather kernel launch");
    planted_delay();
    check(cudaEventRecord(e1_, stream_), "cudaEventRecord");
    check(cudaEventSynchronize(e1_), "gather kernel");
    const double s = elapsed(e0_, e1_) / 1e3;
    return Sample{s, NAN, NAN};
  }
  std::map<std::string, std::string> details() const override {
    return {{"table", where_},
            {"mapping", launch_.block_per_row ? "block per row" : "warp per row"},
            {"loads", std::string(launch_.aligned ? "aligned " : "naive ") + std::to_string(launch_.vector_bytes) + " B"},
            {"grid", std::to_string(launch_.grid)},
            {"block", std::to_string(launch_.block)}};
  }

 private:
  void release() {
    if (idx_) cudaFree(idx_);
    if (host_idx_) cudaFreeHost(host_idx_);
    if (owned_) cudaFree(owned_);
    idx_ = nullptr;
    host_idx_ = nullptr;
    owned_ = nullptr;
  }
  void init_managed(uint64_t bytes) {
    int managed = 0, concurrent = 0;
    cudaDeviceGetAttribute(&managed, cudaDevAttrManagedMemory, c_.device);
    cudaDeviceGetAttribute(&concurrent, cudaDevAttrConcurrentManagedAccess, c_.device);
    if (!managed) throw Error("UNSUPPORTED", "this device does not support managed memory");
    size_t free_b = 0, total_b = 0;
    check(cudaMemGetInfo(&free_b, &total_b), "cudaMemGetInfo");
    // Asking for more managed memory than the GPU has free can hang it.
    if (double(bytes) > 0.8 * double(free_b))
      throw Error("OOM", "managed table of " + human_bytes(double(bytes)) + " exceeds 80% of free device memory (" +
                             human_bytes(double(free_b)) + ")");
    check(cudaMallocManaged(&owned_, bytes, cudaMemAttachGlobal), "cudaMallocManaged");
    std::memcpy(owned_, t_.data(), bytes);
    const std::string& a = c_.uvm_advise;
    if (a == "read-mostly") {
      check(cudaMemAdvise(owned_, bytes, cudaMemAdviseSetReadMostly, cudaMemLocation{cudaMemLocationTypeDevice, c_.device}),
            "cudaMemAdvise");
    } else if (a == "prefer-host") {
      check(cudaMemAdvise(owned_, bytes, cudaMemAdviseSetPreferredLocation, cudaMemLocation{cudaMemLocationTypeHost, 0}),
            "cudaMemAdvise");
      if (concurrent)
        check(cudaMemAdvise(owned_, bytes, cudaMemAdviseSetAccessedBy, cudaMemLocation{cudaMemLocationTypeDevice, c_.device}),
              "cudaMemAdvise");
    } else if (a != "none") {
      throw Error("BAD_ARGUMENT", "unknown uvm advice '" + a + "' (none, read-mostly, prefer-host)");
    }
    src_ = static_cast<const uint8_t*>(owned_);
    where_ = "managed memory (advice: " + a + ")";
  }
  const uint8_t* src_ = nullptr;
  void* owned_ = nullptr;
  std::string where_;
  int64_t* idx_ = nullptr;
  int64_t* host_idx_ = nullptr;
  GatherLaunch launch_;
};

}  // namespace

std::unique_ptr<Method> make_cuda_method(const MethodConfig& c, const HostTable& t, ThreadPool& pool) {
  const bool contiguous = c.method == "pinned-memcpy";
  if (contiguous && c.batch > t.rows())
    throw Error("BAD_ARGUMENT", "pinned-memcpy copies batch consecutive rows: batch " + std::to_string(c.batch) +
                                    " > table rows " + std::to_string(t.rows()));
  if (contiguous) return std::make_unique<PinnedMemcpy>(c, t, pool);
  if (c.method == "cpu-gather-memcpy") return std::make_unique<CpuGatherMemcpy>(c, t, pool);
  if (c.method == "zerocopy-naive" || c.method == "zerocopy-aligned" || c.method == "device-resident" ||
      c.method == "uvm")
    return std::make_unique<KernelGather>(c, t, pool);
  return nullptr;
}

}  // namespace gb
