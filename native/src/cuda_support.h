// What every GPU method builds on: errors as exceptions, RAII handles, the
// buffer arena kept across points, the launch gate and the cache flush.
#pragma once
#include <cuda_runtime_api.h>

#include <memory>
#include <string>

#include "errors.h"

namespace gb {

void check(cudaError_t e, const std::string& what);
std::string free_device_memory();

// A buffer borrowed from the arena: the arena keeps one buffer per kind and
// device across points, grown to the largest request, so a sweep allocates
// (and pins) each once. A kind already lent out is served by a private
// buffer, freed when the lease ends.
enum class BufferKind {
  DeviceOut, DeviceIdx, DeviceSum, DeviceFlush, DeviceCacheMap, DeviceCache, DeviceCacheIds,
  DeviceSortedIdx, DeviceOutPos, DevicePositions, DeviceSortTemp, DeviceCheckIdx, DeviceCheck, DeviceLayerIn, DeviceLayerWeights, DeviceLayerOut,
  PinnedVerify, PinnedIdx, PinnedStaging, PinnedGate  // pinned kinds last: pinned_kind() tells them apart by order
};
class Lease {
 public:
  Lease() = default;
  Lease(BufferKind kind, int device, uint64_t bytes, const std::string& what);
  ~Lease();
  Lease(Lease&& o) noexcept { *this = std::move(o); }
  Lease& operator=(Lease&& o) noexcept;
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;
  uint8_t* get() const { return p_; }
  template <typename T> T* as() const { return reinterpret_cast<T*>(p_); }

 private:
  uint8_t* p_ = nullptr;
  BufferKind kind_{};
  int device_ = 0;
  bool private_ = false;
  uint64_t bytes_ = 0;
};
// Frees every buffer the arena keeps (at the end of a run).
void release_arena();

struct StreamHandle {
  cudaStream_t s = nullptr;
  StreamHandle();
  ~StreamHandle();
  StreamHandle(const StreamHandle&) = delete;
  StreamHandle& operator=(const StreamHandle&) = delete;
};

struct EventHandle {
  cudaEvent_t e = nullptr;
  explicit EventHandle(unsigned flags = cudaEventDefault);
  ~EventHandle();
  EventHandle(const EventHandle&) = delete;
  EventHandle& operator=(const EventHandle&) = delete;
};

// Holds streams until released, so that an event pair times the work alone
// and not the launch that queues it (nvbench's blocking kernel): hold() queues
// a kernel that spins on a host-mapped flag; the work and its events queue
// behind it; release() lets every held stream go at once. One gate can hold
// the streams of several GPUs (a multi-GPU point starts from one barrier).
class LaunchGate {
 public:
  LaunchGate();
  ~LaunchGate();
  void arm();                      // before hold(): the flag reads "wait"
  void hold(cudaStream_t stream);  // on the stream's current device
  void release();                  // every held stream may run
  // A held kernel gives up after this long (a launch that never came); the
  // sample is then refused.
  static constexpr uint64_t kTimeoutNs = 5'000'000'000ull;
  bool timed_out() const;

 private:
  Lease flags_;  // [0] release flag, [1] timed-out flag; pinned, mapped, portable
};

// Releases the gate when it goes out of scope, so an exception while queueing
// never leaves a stream spinning until the timeout.
struct GateRelease {
  LaunchGate& g;
  ~GateRelease() { g.release(); }
};

// The cache flush between samples writes a device buffer larger than L2 and
// the GPU's address-translation reach (nvbench's l2flush): max(256 MiB, 4 x L2).
uint64_t flush_bytes(int device);

}  // namespace gb
