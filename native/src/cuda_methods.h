// What every GPU method shares: a device, a stream, events, the device
// output and its verification, and gated timing. multi_gpu.cc drives several
// of these behind one gate.
#pragma once
#include <functional>

#include "cuda_support.h"
#include "method.h"

namespace gb {

class CudaMethod : public Method {
 public:
  CudaMethod(const MethodConfig& c, const HostTable& t, ThreadPool& pool);
  // Waits for queued work before the members (buffers lent back to the arena) go; the factory's
  // Quiesced<M> waits before a subclass's members go too (cuda_methods.cc).
  ~CudaMethod() override;
  void quiesce() noexcept;

  Sample run(int slot, const std::vector<int64_t>& idx) override;
  void bind_thread() override;
  void poison(uint8_t byte) override;
  void flush() override;
  const uint8_t* rows(int64_t r0, int64_t r1) override;
  uint64_t checksum() override;
  // Both on the GPU, from the table's pattern (hash.h), never from the table or the gather's kernel: the
  // checksum a correct output of idx has, and every byte of the output compared with it.
  uint64_t reference_checksum(int slot, const std::vector<int64_t>& idx, ThreadPool& pool) override;
  Verdict verify(int slot, const std::vector<int64_t>& idx, uint64_t reference) override;
  void corrupt_row_for_test(int64_t row) override;
  std::pair<double, double> launch_latency_us() override;

  // False where the timed region includes CPU work (the CPU path, copies the
  // CPU issues or stages): such a method cannot be held behind a gate and is
  // timed end to end (run() then times enqueue_work() with end_to_end()).
  virtual bool gpu_only() const { return true; }
  // Queues the gated sample: hold, start event, work, end event (the caller
  // releases the gate), then finish() waits and returns its seconds.
  void queue(LaunchGate& gate, int slot);
  double finish(const LaunchGate& gate);
  // Which GPU of a multi-GPU point this is (-1: a single-GPU point).
  void set_gpu_index(int i) { gpu_index_ = i; }
  // Work on another stream ordered around a sample without a host round trip (the training step's layer):
  // `started` gets the sample's opening event once queued (before a CPU path's CPU work), `queued` its closing
  // event once queued (before the wait). Empty: none.
  struct SampleHooks {
    std::function<void(cudaEvent_t)> started, queued;
  };
  void set_hooks(SampleHooks h) { hooks_ = std::move(h); }
  const uint8_t* output() const { return out_.get(); }
  uint64_t output_bytes() const { return out_bytes_; }
  int device() const { return device_; }
  // Where the timed reads go to the pinned table row by row, the flush evicts their translations too.
  bool cold_after_flush() const override { return host_pages_ != nullptr; }

 protected:
  // The timed work, queued on stream_ (issued by the CPU where not gpu_only()).
  virtual void enqueue_work(int slot) = 0;
  // Events around work() on stream_, the test plants inside; waits, returns seconds.
  double end_to_end(const std::function<void()>& work);
  // Inside the timed region, just before the closing event (test switches).
  void planted_delay();
  // GATHERBENCH_TEST_CUDA_ERROR: this GPU of a multi-GPU point fails its sample with a CUDA error.
  void planted_cuda_error();
  double elapsed(cudaEvent_t a, cudaEvent_t b);
  // Runs the pattern check over idx (out: the output, or nullptr for the checksum alone): {checksum, first bad byte}.
  std::pair<uint64_t, uint64_t> pattern_check(const std::vector<int64_t>& idx, const uint8_t* out);
  static int select_device(int device);

  // The pinned table as the GPU addresses it, where the timed reads go to it row by row (zero-copy, copy
  // engines): the flush then reads a word of 32768 of its pages, so the GPU's translation caches hold none of
  // the pages the previous samples read (writing device memory evicts only the device pages' translations).
  const uint8_t* host_pages_ = nullptr;
  MethodConfig c_;
  int device_;  // selected before the members below are made on it
  StreamHandle stream_;
  EventHandle e0_, e_mid_, e1_;
  LaunchGate gate_;
  Lease out_, sum_, host_out_, flush_, check_idx_, check_;
  uint64_t flush_bytes_ = 0;
  int gpu_index_ = -1;
  SampleHooks hooks_;
};

// A gather method (not a training step) on one GPU; nullptr for a method with no such form.
std::unique_ptr<CudaMethod> make_cuda_method_of(const MethodEntry& e, const MethodConfig& c, const HostTable& t, ThreadPool& pool);

}  // namespace gb
