// A synthetic training step (step-<method>, scenarios/training-step.yaml): a gather method and the model's
// layer on the gathered batch (kernels/layer.h: relu(features x W), batch x width by width x hidden).
//   serial:    the gather, then the layer.
//   pipelined: the gather of the next batch on the method's stream while the layer computes the current one
//              on a stream of its own, as a prefetching loader runs them: the gather issued first, the layer
//              as soon as it has started; the step ends when both have (one lockstep iteration of the loop;
//              warm-up steps make the steady state).
// Every sample also measures both parts alone, cold, before its step: gather alone, layer alone, then (where
// pipelined) the two together, so each point holds its parts and their slowdowns beside each other from the
// same samples. The gather's output is verified like any method's (the one measured alone by checksum inside
// the sample, the one of the step by the sampling loop); the layer reads its own copy of a verified batch, so
// the next gather may overwrite the output while the layer runs, as a double-buffered loader's would.
#include <cstring>

#include "../../kernels/layer.h"
#include "cuda_methods.h"
#include "errors.h"
#include "test_switches.h"

namespace gb {
namespace {

class TrainingStep : public Method {
 public:
  TrainingStep(const MethodConfig& c, const HostTable& t, ThreadPool& pool, std::unique_ptr<CudaMethod> gather)
      : Method(t, pool, c.batch * t.row_bytes()), c_(c), g_(std::move(gather)), end_(cudaEventBlockingSync) {
    if (c.step != "serial" && c.step != "pipelined")
      throw Error("BAD_ARGUMENT", "step must be 'serial' or 'pipelined', got '" + c.step + "'");
    if (t.row_bytes() % 4 != 0)
      throw Error("UNSUPPORTED", "the layer reads rows as fp32: rows of " + std::to_string(t.row_bytes()) + " B are not");
    if (c.hidden < 1 || c.hidden > 65536) throw Error("BAD_ARGUMENT", "hidden must be 1 to 65536");
    k_ = int(t.row_bytes() / 4);
    const uint64_t rows = c.batch;
    in_ = Lease(BufferKind::DeviceLayerIn, g_->device(), out_bytes_, "the layer's input");
    w_ = Lease(BufferKind::DeviceLayerWeights, g_->device(), uint64_t(k_) * uint64_t(c.hidden) * 4, "the layer's weights");
    act_ = Lease(BufferKind::DeviceLayerOut, g_->device(), rows * uint64_t(c.hidden) * 4, "the layer's output");
    // weights of about 7e-4 (bytes 0x3A): finite, so the layer computes on numbers, not NaNs of zeroed memory
    check(cudaMemset(w_.get(), 0x3A, uint64_t(k_) * uint64_t(c.hidden) * 4), "the layer's weights");
    check(load_layer(), "loading the layer's kernel");  // never first behind a held gate (layer.h)
    check(cudaDeviceSynchronize(), "the layer's weights");
  }
  ~TrainingStep() override {
    cudaSetDevice(g_->device());
    cudaStreamSynchronize(layer_.s);
    cudaGetLastError();
  }

  void reserve_sets(int n) override {
    g_->reserve_sets(n);
    refs_.assign(size_t(n), 0);
    known_.assign(size_t(n), false);
  }
  void load_set(int slot, std::vector<int64_t>& idx) override { g_->load_set(slot, idx); }
  uint64_t reference_checksum(int slot, const std::vector<int64_t>& idx, ThreadPool& pool) override {
    known_[size_t(slot)] = true;
    return refs_[size_t(slot)] = g_->reference_checksum(slot, idx, pool);
  }
  Verdict verify(int slot, const std::vector<int64_t>& idx, uint64_t reference) override {
    Verdict v = g_->verify(slot, idx, reference);
    if (v.ok && !input_ready_) {  // the layer's input: the first verified batch
      check(cudaMemcpy(in_.get(), g_->output(), out_bytes_, cudaMemcpyDeviceToDevice), "the layer's input");
      input_ready_ = true;
    }
    return v;
  }

  Sample run(int slot, const std::vector<int64_t>& idx) override {
    Sample s;
    s.gather_alone = g_->run(slot, idx).total;  // the sampling loop flushed before this call
    // (a set's first, untimed run comes before its reference: the sampling loop then verifies it whole)
    if (known_[size_t(slot)] && g_->checksum() != refs_[size_t(slot)])
      throw Error("VERIFY", "the gather measured alone wrote a wrong output (its checksum differs from the set's reference)");
    cold(slot, idx);  // the output is left as the gather wrote it: a serial step's output is that gather's
    s.compute_alone = layer_alone();
    if (c_.step == "serial") {
      s.gather = s.gather_alone;
      s.compute = s.compute_alone;
      s.total = planted_stretch(s.gather + s.compute);
      return s;
    }
    g_->poison(0x5A);  // the step's own gather must write every byte again
    cold(slot, idx);
    const Sample p = pipelined(slot, idx);
    s.total = p.total;
    s.gather = p.gather;
    s.compute = p.compute;
    s.also_timed = s.gather_alone + s.compute_alone;
    return s;
  }
  // Telemetry windows repeat the step alone.
  Sample soak_run(int slot, const std::vector<int64_t>& idx) override {
    if (c_.step == "pipelined") return pipelined(slot, idx);
    Sample s;
    s.total = g_->run(slot, idx).total + layer_alone();
    return s;
  }

  void poison(uint8_t byte) override { g_->poison(byte); }
  void flush() override { g_->flush(); }
  void reset_before_sample() override { g_->reset_before_sample(); }
  const uint8_t* rows(int64_t r0, int64_t r1) override { return g_->rows(r0, r1); }
  uint64_t checksum() override { return g_->checksum(); }
  void corrupt_row_for_test(int64_t row) override { g_->corrupt_row_for_test(row); }
  bool reads_table_on_cpu() const override { return g_->reads_table_on_cpu(); }
  bool cold_after_flush() const override { return g_->cold_after_flush(); }
  void bind_thread() override { g_->bind_thread(); }
  double own_threads_cpu_seconds() const override { return g_->own_threads_cpu_seconds(); }
  std::pair<double, double> launch_latency_us() override { return {NAN, NAN}; }  // a step is not one launch

  std::map<std::string, std::string> details() const override {
    auto d = g_->details();
    d["step"] = c_.step == "serial" ? "serial: the gather, then the layer"
                                    : "pipelined: the next batch's gather beside the layer on the current one, "
                                      "on two streams; the step ends when both have";
    d["layer"] = "relu(features x W): " + std::to_string(c_.batch) + " x " + std::to_string(k_) + " by " +
                 std::to_string(k_) + " x " + std::to_string(c_.hidden) + " fp32, an own tiled SGEMM (kernels/layer.cu)";
    d["layer flops"] = std::to_string(2.0 * double(c_.batch) * double(k_) * double(c_.hidden));
    d["parts alone"] = "each sample: the gather alone, the layer alone, each cold, then the step";
    return d;
  }

 private:
  // Between the parts of a sample, as the sampling loop does between samples (outside every timed region).
  void cold(int slot, const std::vector<int64_t>& idx) {
    if (!c_.flush) return;
    g_->flush();
    if (g_->reads_table_on_cpu()) g_->evict_rows_read(slot, idx);  // the CPU path's gather alone read them
  }
  void evict_rows_read(int slot, const std::vector<int64_t>& idx) override { g_->evict_rows_read(slot, idx); }
  // The layer between events c0_ and c1_ on its stream.
  void queue_timed_layer() {
    check(cudaEventRecord(c0_.e, layer_.s), "cudaEventRecord");
    check(launch_layer(reinterpret_cast<const float*>(in_.get()), reinterpret_cast<const float*>(w_.get()),
                       reinterpret_cast<float*>(act_.get()), int64_t(c_.batch), k_, c_.hidden, layer_.s),
          "the layer's kernel");
    check(cudaEventRecord(c1_.e, layer_.s), "cudaEventRecord");
  }
  // Held behind a gate until queued, as a gathering kernel is: its events then time the layer, not the
  // launch that an idle stream would put between its opening event and the kernel (beside the gather, the
  // layer is queued long before its stream runs).
  double layer_alone() {
    gate_.arm();
    {
      GateRelease rel{gate_};
      gate_.hold(layer_.s);
      queue_timed_layer();
    }
    check(cudaEventSynchronize(c1_.e), "the layer");
    if (gate_.timed_out()) throw Error("CUDA", "the launch gate timed out while the layer was queued");
    return elapsed(c0_.e, c1_.e);
  }
  // The gather is issued first, as a prefetching loader's runs ahead of the step: the layer's stream waits for
  // the gather's opening event (after its gate, before a CPU path's CPU work), then runs the layer, then waits
  // for the gather's closing event, each queued as soon as the event is, so the step (from the gather's start
  // to the later end) is GPU time. Which kernel's blocks the GPU dispatches first is the GPU's choice: a
  // full-grid gather that holds every SM makes the layer wait, which is what its slowdown beside it shows.
  Sample pipelined(int slot, const std::vector<int64_t>& idx) {
    CudaMethod::SampleHooks hooks;
    hooks.started = [this](cudaEvent_t began) {
      check(cudaStreamWaitEvent(layer_.s, began, 0), "cudaStreamWaitEvent");
      check(cudaEventRecord(start_.e, layer_.s), "cudaEventRecord");
      queue_timed_layer();
    };
    hooks.queued = [this](cudaEvent_t gathered) {
      check(cudaStreamWaitEvent(layer_.s, gathered, 0), "cudaStreamWaitEvent");
      check(cudaEventRecord(end_.e, layer_.s), "cudaEventRecord");
    };
    g_->set_hooks(std::move(hooks));
    Sample beside;
    try {
      beside = g_->run(slot, idx);
    } catch (...) {
      g_->set_hooks({});
      throw;
    }
    g_->set_hooks({});
    check(cudaEventSynchronize(end_.e), "the training step");
    Sample s;
    s.total = planted_stretch(elapsed(start_.e, end_.e));
    s.gather = beside.total;
    s.compute = elapsed(c0_.e, c1_.e);
    return s;
  }
  static double elapsed(cudaEvent_t a, cudaEvent_t b) {
    float ms = 0;
    check(cudaEventElapsedTime(&ms, a, b), "cudaEventElapsedTime");
    return ms / 1e3;
  }

  MethodConfig c_;
  std::unique_ptr<CudaMethod> g_;  // made first: it selects the device the members below are made on
  StreamHandle layer_;
  LaunchGate gate_;
  EventHandle start_, c0_, c1_, end_;
  Lease in_, w_, act_;
  int k_ = 0;
  bool input_ready_ = false;
  std::vector<uint64_t> refs_;
  std::vector<bool> known_;
};

}  // namespace

std::unique_ptr<Method> make_training_step(const MethodEntry& e, const MethodConfig& c, const HostTable& t, ThreadPool& pool) {
  const MethodEntry& g = step_gather(e);
  if (c.gpus != 1) throw Error("UNSUPPORTED", "a training step runs on one GPU");
  MethodConfig inner = c;
  inner.method = g.name;
  auto gather = make_cuda_method_of(g, inner, t, pool);
  if (!gather) throw Error("BAD_ARGUMENT", std::string("no training step for '") + g.name + "'");
  return std::make_unique<TrainingStep>(c, t, pool, std::move(gather));
}

}  // namespace gb
