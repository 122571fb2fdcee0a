// One method on N GPUs at once, all reading one shared pinned host table:
// does the zero-copy path scale with GPUs, and can the CPU path feed them?
// A persistent worker per GPU runs that GPU's sample; the sample's time is
// the slowest GPU's (the batch is done when every GPU is), and each GPU
// gathers its own mini-batch (the indices shifted by i * rows / N), verified
// against the host table like any single-GPU sample.
#include <cstdlib>
#include <map>

#include "errors.h"
#include "method.h"

namespace gb {
namespace {

// GATHERBENCH_TEST_SAME_DEVICE=1 puts every worker on the first GPU: it
// exercises this orchestration on a one-GPU machine. Results are flagged.
bool same_device() {
  const char* s = std::getenv("GATHERBENCH_TEST_SAME_DEVICE");
  return s && *s == '1';
}

class MultiGpu : public Method {
 public:
  MultiGpu(const MethodConfig& c, const HostTable& t, unsigned cpu_threads) : t_(t), workers_(unsigned(c.gpus)) {
    const unsigned per_gpu = std::max(1u, cpu_threads / unsigned(c.gpus));
    for (int i = 0; i < c.gpus; ++i) {
      MethodConfig ci = c;
      ci.gpus = 1;
      ci.device = same_device() ? c.device : c.device + i;
      ci.threads = per_gpu;
      pools_.push_back(std::make_unique<ThreadPool>(per_gpu));
      methods_.push_back(make_cuda_method(ci, t, *pools_.back()));
      if (!methods_.back()) throw Error("UNSUPPORTED", "method '" + c.method + "' has no multi-GPU form");
    }
    idx_.resize(methods_.size());
  }

  Sample run_once(std::vector<int64_t>& idx) override {
    const uint64_t rows = t_.rows(), n = methods_.size();
    for (uint64_t i = 0; i < n; ++i) {
      idx_[i].resize(idx.size());
      const uint64_t shift = i * (rows / n);
      for (size_t k = 0; k < idx.size(); ++k) idx_[i][k] = int64_t((uint64_t(idx[k]) + shift) % rows);
    }
    std::vector<Sample> s(n);
    workers_.parallel_for(int64_t(n), [&](int64_t b, int64_t e, unsigned) {
      for (int64_t i = b; i < e; ++i) {
        methods_[i]->bind_thread();
        s[i] = methods_[i]->run_once(idx_[i]);
      }
    });
    Sample out{0, 0, NAN};
    for (auto& x : s) {
      out.total = std::max(out.total, x.total);
      out.gather = std::max(out.gather, std::isnan(x.gather) ? 0.0 : x.gather);
    }
    if (out.gather == 0) out.gather = NAN;
    return out;
  }

  Verdict verify(const std::vector<int64_t>&) override {
    Verdict all;
    for (size_t i = 0; i < methods_.size(); ++i) {
      methods_[i]->bind_thread();
      Verdict v = methods_[i]->verify(idx_[i]);
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

  void poison(uint8_t byte) override {
    for (auto& m : methods_) {
      m->bind_thread();
      m->poison(byte);
    }
  }

  void bind_thread() override {}

  double own_threads_cpu_seconds() const override {
    double s = workers_.worker_cpu_seconds();
    for (auto& p : pools_) s += p->worker_cpu_seconds();
    return s;
  }

  std::map<std::string, std::string> details() const override {
    auto d = methods_.front()->details();
    d["gpus"] = std::to_string(methods_.size()) + (same_device() ? " (all on one GPU: GATHERBENCH_TEST_SAME_DEVICE)" : "");
    return d;
  }

 private:
  const HostTable& t_;
  ThreadPool workers_;
  std::vector<std::unique_ptr<ThreadPool>> pools_;
  std::vector<std::unique_ptr<Method>> methods_;
  std::vector<std::vector<int64_t>> idx_;
};

}  // namespace

std::unique_ptr<Method> make_multi_gpu_method(const MethodConfig& c, const HostTable& t, unsigned cpu_threads) {
  if (c.gpus < 2) throw Error("BAD_ARGUMENT", "multi-GPU needs at least 2 GPUs");
  return std::make_unique<MultiGpu>(c, t, cpu_threads);
}

}  // namespace gb
