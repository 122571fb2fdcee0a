// One method on N GPUs at once, all reading one shared pinned host table:
// does the zero-copy path scale with GPUs, and can the CPU path feed them?
// Each GPU gathers its own mini-batch (the set's indices shifted by
// i * rows / N), verified against the host table like any single-GPU sample.
// GPU-only methods queue every GPU's sample behind one launch gate and start
// together when it opens; the sample is the longest GPU interval, each GPU's
// from its own exit from the gate (events of two GPUs cannot be subtracted).
// The CPU path is timed on the host clock, from one barrier to the last GPU's
// end: thread wake-ups and cudaSetDevice are inside, microseconds.
#include <chrono>
#include <map>

#include "cuda_methods.h"
#include "test_switches.h"

namespace gb {
namespace {

class MultiGpu : public Method {
 public:
  // `pool` verifies; each GPU's CPU work gets its own share of cpu_threads.
  MultiGpu(const MethodEntry& e, const MethodConfig& c, const HostTable& t, ThreadPool& pool, unsigned cpu_threads)
      : Method(t, pool, c.batch * t.row_bytes() * uint64_t(c.gpus)), workers_(unsigned(c.gpus)) {
    const unsigned per_gpu = std::max(1u, cpu_threads / unsigned(c.gpus));
    for (int i = 0; i < c.gpus; ++i) {
      MethodConfig ci = c;
      ci.gpus = 1;
      ci.device = test_same_device() ? c.device : c.device + i;
      ci.threads = per_gpu;
      pools_.push_back(std::make_unique<ThreadPool>(per_gpu));
      auto m = make_cuda_method_of(e, ci, t, *pools_.back());
      if (!m) throw Error("UNSUPPORTED", "method '" + c.method + "' has no multi-GPU form");
      m->set_gpu_index(i);
      gpu_only_ = gpu_only_ && m->gpu_only();
      methods_.push_back(std::move(m));
    }
    check(cudaSetDevice(c.device), "cudaSetDevice");
    gate_ = std::make_unique<LaunchGate>();
  }

  void reserve_sets(int n) override {
    shifted_.assign(n, std::vector<std::vector<int64_t>>(methods_.size()));
    refs_.assign(n, std::vector<uint64_t>(methods_.size(), 0));
    for (auto& m : methods_) {
      m->bind_thread();
      m->reserve_sets(n);
    }
  }

  void load_set(int slot, std::vector<int64_t>& idx) override {
    const uint64_t rows = t_.rows(), n = methods_.size();
    for (uint64_t i = 0; i < n; ++i) {
      auto& s = shifted_[slot][i];
      s.resize(idx.size());
      const uint64_t shift = i * (rows / n);
      for (size_t k = 0; k < idx.size(); ++k) s[k] = int64_t((uint64_t(idx[k]) + shift) % rows);
      methods_[i]->bind_thread();
      methods_[i]->load_set(slot, s);
    }
  }

  Sample run(int slot, const std::vector<int64_t>&) override {
    const size_t n = methods_.size();
    if (gpu_only_) {
      gate_->arm();
      {
        GateRelease rel{*gate_};
        for (size_t i = 0; i < n; ++i) {
          methods_[i]->bind_thread();
          methods_[i]->queue(*gate_, slot);
        }
      }
      Sample out{0, NAN, NAN};
      for (size_t i = 0; i < n; ++i) {
        methods_[i]->bind_thread();
        out.total = std::max(out.total, methods_[i]->finish(*gate_));
      }
      out.total = planted_stretch(out.total);
      return out;
    }
    std::vector<Sample> s(n);
    const auto t0 = std::chrono::steady_clock::now();
    workers_.parallel_for(int64_t(n), [&](int64_t b, int64_t e, unsigned) {
      for (int64_t i = b; i < e; ++i) {
        methods_[i]->bind_thread();
        s[i] = methods_[i]->run(slot, shifted_[slot][i]);
      }
    });
    Sample out{planted_stretch(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()), 0, NAN};
    for (auto& x : s) out.gather = std::max(out.gather, std::isnan(x.gather) ? 0.0 : x.gather);
    if (out.gather == 0) out.gather = NAN;
    return out;
  }

  uint64_t reference_checksum(int slot, const std::vector<int64_t>&, ThreadPool& pool) override {
    uint64_t sum = 0;
    for (size_t i = 0; i < methods_.size(); ++i) {
      methods_[i]->bind_thread();  // computed on GPU i
      sum += refs_[slot][i] = methods_[i]->reference_checksum(slot, shifted_[slot][i], pool);
    }
    return sum;
  }

  Verdict verify(int slot, const std::vector<int64_t>&, uint64_t) override {
    Verdict all;
    for (size_t i = 0; i < methods_.size(); ++i) {
      methods_[i]->bind_thread();
      Verdict v = methods_[i]->verify(slot, shifted_[slot][i], refs_[slot][i]);
      all.mode = v.mode;
      all.rows_checked += v.rows_checked;
      if (!v.ok) {
        v.detail = "GPU " + std::to_string(i) + ": " + v.detail;
        v.rows_checked = all.rows_checked;
        return v;
      }
    }
    return all;
  }

  const uint8_t* rows(int64_t r0, int64_t r1) override { return methods_.front()->rows(r0, r1); }
  uint64_t checksum() override {
    uint64_t sum = 0;
    for (auto& m : methods_) {
      m->bind_thread();
      sum += m->checksum();
    }
    return sum;
  }
  void poison(uint8_t byte) override {
    for (auto& m : methods_) {
      m->bind_thread();
      m->poison(byte);
    }
  }
  void flush() override {
    for (auto& m : methods_) {
      m->bind_thread();
      m->flush();
    }
  }
  // Each GPU's CPU gather reads its own shifted set.
  void evict_rows_read(int slot, const std::vector<int64_t>&) override {
    for (size_t i = 0; i < methods_.size(); ++i) methods_[i]->evict_rows_read(slot, shifted_[slot][i]);
  }
  void reset_before_sample() override {
    for (auto& m : methods_) {
      m->bind_thread();
      m->reset_before_sample();
    }
  }
  void corrupt_row_for_test(int64_t row) override {
    methods_.front()->bind_thread();
    methods_.front()->corrupt_row_for_test(row);
  }
  std::pair<double, double> launch_latency_us() override {
    methods_.front()->bind_thread();
    return methods_.front()->launch_latency_us();
  }

  void bind_thread() override {}
  bool reads_table_on_cpu() const override { return methods_.front()->reads_table_on_cpu(); }
  bool cold_after_flush() const override { return methods_.front()->cold_after_flush(); }

  double own_threads_cpu_seconds() const override {
    double s = workers_.worker_cpu_seconds();
    for (auto& p : pools_) s += p->worker_cpu_seconds();
    return s;
  }

  std::map<std::string, std::string> details() const override {
    auto d = methods_.front()->details();
    d["gpus"] = std::to_string(methods_.size()) + (test_same_device() ? " (all on one GPU: GATHERBENCH_TEST_SAME_DEVICE)" : "");
    d["start"] = gpu_only_ ? "every GPU held behind one launch gate, released together; time = longest GPU interval"
                           : "one host barrier; time = host clock to the last GPU's end";
    return d;
  }

 private:
  ThreadPool workers_;
  std::vector<std::unique_ptr<ThreadPool>> pools_;
  // Declared before the methods, so it goes after them: each method waits for its stream, where a sample may
  // still be held behind the gate's flags, before the gate is freed.
  std::unique_ptr<LaunchGate> gate_;
  std::vector<std::unique_ptr<CudaMethod>> methods_;
  bool gpu_only_ = true;
  std::vector<std::vector<std::vector<int64_t>>> shifted_;  // [slot][gpu]
  std::vector<std::vector<uint64_t>> refs_;                  // [slot][gpu]
};

}  // namespace

std::unique_ptr<Method> make_multi_gpu_method(const MethodEntry& e, const MethodConfig& c, const HostTable& t,
                                              ThreadPool& pool, unsigned cpu_threads) {
  if (c.gpus < 2) throw Error("BAD_ARGUMENT", "multi-GPU needs at least 2 GPUs");
  return std::make_unique<MultiGpu>(e, c, t, pool, cpu_threads);
}

}  // namespace gb
