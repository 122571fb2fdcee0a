// Host-only methods, available in every build: the CPU half of the paper's
// baseline (gather into a staging buffer, then copy it on, here to a second
// host buffer standing in for the device) and the contiguous copy of the same
// bytes, the ceiling any gather on this host can approach.
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "errors.h"
#include "method.h"
#include "test_switches.h"

namespace gb {
namespace {

using Clock = std::chrono::steady_clock;
double seconds(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// A host buffer kept across points (one per role, grown to the largest
// request), so each point does not pay page faults on a fresh allocation; a
// role already lent out gets a private buffer.
class HostBuffer {
 public:
  enum Role { Dest, Staging, kRoles };
  HostBuffer(Role role, uint64_t bytes) : role_(role) {
    bytes = (std::max<uint64_t>(bytes, 1) + 4095) / 4096 * 4096;
    std::lock_guard<std::mutex> lock(mu());
    Slot& s = slots()[role];
    if (s.lent || s.bytes < bytes) {
      uint8_t* q = static_cast<uint8_t*>(std::aligned_alloc(4096, bytes));
      if (!q) throw Error("OOM", "out of host memory (needed " + human_bytes(double(bytes)) + ")");
      if (s.lent) {
        p = q;
        private_ = true;
        return;
      }
      std::free(s.p);
      s = Slot{q, bytes, false};
    }
    s.lent = true;
    p = s.p;
  }
  ~HostBuffer() {
    if (private_) {
      std::free(p);
      return;
    }
    std::lock_guard<std::mutex> lock(mu());
    slots()[role_].lent = false;
  }
  HostBuffer(const HostBuffer&) = delete;
  HostBuffer& operator=(const HostBuffer&) = delete;
  uint8_t* p = nullptr;

 private:
  struct Slot {
    uint8_t* p = nullptr;
    uint64_t bytes = 0;
    bool lent = false;
  };
  static std::mutex& mu() {
    static std::mutex m;
    return m;
  }
  static Slot* slots() {
    static Slot s[kRoles];
    return s;
  }
  Role role_;
  bool private_ = false;
};

void parallel_copy(uint8_t* dst, const uint8_t* src, uint64_t bytes, ThreadPool& pool) {
  constexpr uint64_t kBlock = 1 << 20;
  pool.parallel_for(int64_t((bytes + kBlock - 1) / kBlock), [&](int64_t b, int64_t e, unsigned) {
    uint64_t lo = uint64_t(b) * kBlock, hi = std::min(bytes, uint64_t(e) * kBlock);
    std::memcpy(dst + lo, src + lo, hi - lo);
  });
}

// What both host methods share: the destination buffer stands for the
// device output, read back in place.
class HostMethod : public Method {
 public:
  HostMethod(const MethodConfig& c, const HostTable& t, ThreadPool& pool)
      : Method(t, pool, c.batch * t.row_bytes()), dest_(HostBuffer::Dest, out_bytes_) {}
  const uint8_t* rows(int64_t r0, int64_t) override { return dest_.p + uint64_t(r0) * t_.row_bytes(); }
  uint64_t checksum() override { return host_checksum(dest_.p, out_bytes_, pool_); }
  void corrupt_row_for_test(int64_t row) override { dest_.p[uint64_t(row) * t_.row_bytes()] ^= 0xFF; }
  bool reads_table_on_cpu() const override { return true; }
  // The first and last byte of every row: a host memset of the whole output
  // would cost as much as the copy it precedes. Unwritten bytes elsewhere hold
  // the previous sample's output, of another index set, and fail the checksum.
  // On the pool's threads: one row's two bytes are two cache misses, serially 2.8 ms for 131072 rows.
  void poison(uint8_t byte) override {
    const uint64_t rb = t_.row_bytes();
    pool_.parallel_for(int64_t(out_bytes_ / rb), [&](int64_t b, int64_t e, unsigned) {
      for (uint64_t r = uint64_t(b); r < uint64_t(e); ++r) {
        dest_.p[r * rb] = byte;
        dest_.p[r * rb + rb - 1] = uint8_t(~byte);
      }
    });
  }

 protected:
  HostBuffer dest_;
};

class HostGatherCopy : public HostMethod {
 public:
  HostGatherCopy(const MethodConfig& c, const HostTable& t, ThreadPool& pool)
      : HostMethod(c, t, pool), staging_(HostBuffer::Staging, out_bytes_) {}
  Sample run(int, const std::vector<int64_t>& idx) override {
    const uint64_t rb = t_.row_bytes();
    const uint8_t* table = t_.data();
    uint8_t* staging = staging_.p;
    auto t0 = Clock::now();
    pool_.parallel_for(int64_t(idx.size()), [&](int64_t b, int64_t e, unsigned worker) {
      if (worker > 0 && test_throw_in_pool()) throw Error("SYSTEM", "planted failure on pool worker " + std::to_string(worker) + " (GATHERBENCH_TEST_THROW_IN_POOL)");
      for (int64_t k = b; k < e; ++k) std::memcpy(staging + uint64_t(k) * rb, table + uint64_t(idx[k]) * rb, rb);
    });
    auto t1 = Clock::now();
    parallel_copy(dest_.p, staging_.p, out_bytes_, pool_);
    planted_host_delay(seconds(t0, Clock::now()));
    auto t2 = Clock::now();
    return Sample{seconds(t0, t2), seconds(t0, t1), seconds(t1, t2)};
  }
  std::map<std::string, std::string> details() const override {
    return {{"threads", std::to_string(pool_.size())}, {"staging", "malloc (pageable)"}};
  }

 private:
  HostBuffer staging_;
};

class HostMemcpy : public HostMethod {
 public:
  using HostMethod::HostMethod;
  void load_set(int, std::vector<int64_t>& idx) override { make_contiguous(idx, t_.rows()); }
  Sample run(int, const std::vector<int64_t>& idx) override {
    auto t0 = Clock::now();
    parallel_copy(dest_.p, t_.data() + uint64_t(idx[0]) * t_.row_bytes(), out_bytes_, pool_);
    planted_host_delay(seconds(t0, Clock::now()));
    auto t1 = Clock::now();
    return Sample{seconds(t0, t1), NAN, seconds(t0, t1)};
  }
  bool contiguous() const override { return true; }
  std::map<std::string, std::string> details() const override { return {{"threads", std::to_string(pool_.size())}}; }
};

}  // namespace

std::unique_ptr<Method> make_host_method(const MethodEntry& e, const MethodConfig& c, const HostTable& t, ThreadPool& pool) {
  switch (e.maker) {
    case Maker::HostGatherCopy:
      return std::make_unique<HostGatherCopy>(c, t, pool);
    case Maker::HostMemcpy:
      if (c.batch > t.rows())
        throw Error("BAD_ARGUMENT", "host-memcpy copies batch consecutive rows: batch " + std::to_string(c.batch) +
                                        " > table rows " + std::to_string(t.rows()));
      return std::make_unique<HostMemcpy>(c, t, pool);
    default:
      throw Error("UNSUPPORTED", std::string("method '") + e.name + "' is not a host method");
  }
}

}  // namespace gb
