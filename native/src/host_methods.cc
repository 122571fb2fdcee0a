// Host-only methods, available in every build: the CPU half of the paper's
// baseline (gather into a staging buffer, then copy it on, here to a second
// host buffer standing in for the device) and the contiguous copy of the same
// bytes, the ceiling any gather on this host can approach.
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "errors.h"
#include "method.h"
#include "test_slowdown.h"

namespace gb {
namespace {

using Clock = std::chrono::steady_clock;
double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

struct HostBuffer {
  uint8_t* p = nullptr;
  explicit HostBuffer(uint64_t bytes) {
    p = static_cast<uint8_t*>(std::aligned_alloc(4096, (bytes + 4095) / 4096 * 4096));
    if (!p) throw Error("OOM", "out of host memory (needed " + human_bytes(double(bytes)) + ")");
  }
  ~HostBuffer() { std::free(p); }
};

void parallel_copy(uint8_t* dst, const uint8_t* src, uint64_t bytes, ThreadPool& pool) {
  constexpr uint64_t kBlock = 1 << 20;
  pool.parallel_for(int64_t((bytes + kBlock - 1) / kBlock), [&](int64_t b, int64_t e, unsigned) {
    uint64_t lo = uint64_t(b) * kBlock, hi = std::min(bytes, uint64_t(e) * kBlock);
    std::memcpy(dst + lo, src + lo, hi - lo);
  });
}

class HostGatherCopy : public Method {
 public:
  HostGatherCopy(const MethodConfig& c, const HostTable& t, ThreadPool& pool)
      : t_(t), pool_(pool), bytes_(c.batch * t.row_bytes()), staging_(bytes_), dest_(bytes_) {}
  Sample run_once(std::vector<int64_t>& idx) override {
    const uint64_t rb = t_.row_bytes();
    const uint8_t* table = t_.data();
    uint8_t* staging = staging_.p;
    auto t0 = Clock::now();
    pool_.parallel_for(int64_t(idx.size()), [&](int64_t b, int64_t e, unsigned) {
      for (int64_t k = b; k < e; ++k) std::memcpy(staging + uint64_t(k) * rb, table + uint64_t(idx[k]) * rb, rb);
    });
    auto t1 = Clock::now();
    parallel_copy(dest_.p, staging_.p, bytes_, pool_);
    busy_wait_us(test_slowdown_us());
    auto t2 = Clock::now();
    return Sample{seconds(t0, t2), seconds(t0, t1), seconds(t1, t2)};
  }
  Verdict verify(const std::vector<int64_t>& idx) override {
    return compare_rows(dest_.p, t_, idx, 0, int64_t(idx.size()), pool_);
  }
  void poison(uint8_t byte) override {
    std::memset(staging_.p, byte, bytes_);
    std::memset(dest_.p, byte, bytes_);
  }
  std::map<std::string, std::string> details() const override {
    return {{"threads", std::to_string(pool_.size())}, {"staging", "malloc (pageable)"}};
  }

 private:
  const HostTable& t_;
  ThreadPool& pool_;
  uint64_t bytes_;
  HostBuffer staging_, dest_;
};

class HostMemcpy : public Method {
 public:
  HostMemcpy(const MethodConfig& c, const HostTable& t, ThreadPool& pool)
      : t_(t), pool_(pool), bytes_(c.batch * t.row_bytes()), dest_(bytes_) {}
  Sample run_once(std::vector<int64_t>& idx) override {
    make_contiguous(idx, t_.rows());
    auto t0 = Clock::now();
    parallel_copy(dest_.p, t_.data() + uint64_t(idx[0]) * t_.row_bytes(), bytes_, pool_);
    busy_wait_us(test_slowdown_us());
    auto t1 = Clock::now();
    return Sample{seconds(t0, t1), NAN, seconds(t0, t1)};
  }
  Verdict verify(const std::vector<int64_t>& idx) override {
    return compare_rows(dest_.p, t_, idx, 0, int64_t(idx.size()), pool_);
  }
  void poison(uint8_t byte) override { std::memset(dest_.p, byte, bytes_); }
  bool contiguous() const override { return true; }
  std::map<std::string, std::string> details() const override { return {{"threads", std::to_string(pool_.size())}}; }

 private:
  const HostTable& t_;
  ThreadPool& pool_;
  uint64_t bytes_;
  HostBuffer dest_;
};

}  // namespace

std::unique_ptr<Method> make_host_method(const MethodConfig& c, const HostTable& t, ThreadPool& pool) {
  if (c.batch > t.rows() && c.method == "host-memcpy")
    throw Error("BAD_ARGUMENT", "host-memcpy copies batch consecutive rows: batch " + std::to_string(c.batch) +
                                    " > table rows " + std::to_string(t.rows()));
  if (c.method == "host-gather-copy") return std::make_unique<HostGatherCopy>(c, t, pool);
  if (c.method == "host-memcpy") return std::make_unique<HostMemcpy>(c, t, pool);
  return nullptr;
}

}  // namespace gb
