#include "cuda_support.h"

#include <algorithm>
#include <map>
#include <mutex>

#include "../../kernels/gather.h"

namespace gb {

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

namespace {

bool pinned_kind(BufferKind k) { return k >= BufferKind::PinnedVerify; }

// Runs on `device`, restoring the caller's current device afterwards.
struct OnDevice {
  int saved = 0;
  explicit OnDevice(int device) {
    cudaGetDevice(&saved);
    cudaSetDevice(device);
  }
  ~OnDevice() { cudaSetDevice(saved); }
};

uint8_t* raw_alloc(BufferKind kind, int device, uint64_t bytes, const std::string& what) {
  OnDevice on(device);
  void* p = nullptr;
  cudaError_t e = pinned_kind(kind)
                      ? cudaHostAlloc(&p, bytes, cudaHostAllocMapped | cudaHostAllocPortable)
                      : cudaMalloc(&p, bytes);
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw Error("OOM", pinned_kind(kind) ? "cudaHostAlloc could not pin " + human_bytes(double(bytes)) + " for " + what
                                         : "out of device memory for " + what + " (needed " +
                                               human_bytes(double(bytes)) + ", free " + free_device_memory() + ")");
  }
  return static_cast<uint8_t*>(p);
}

void raw_free(BufferKind kind, int device, uint8_t* p) {
  if (!p) return;
  OnDevice on(device);
  if (pinned_kind(kind)) cudaFreeHost(p);
  else cudaFree(p);
  cudaGetLastError();
}

struct Slot {
  uint8_t* p = nullptr;
  uint64_t bytes = 0;
  bool lent = false;
};
std::mutex arena_mu;
std::map<std::pair<int, int>, Slot>& arena() {
  static std::map<std::pair<int, int>, Slot> slots;
  return slots;
}

}  // namespace

Lease::Lease(BufferKind kind, int device, uint64_t bytes, const std::string& what)
    : kind_(kind), device_(device), bytes_(std::max<uint64_t>(bytes, 16)) {
  std::lock_guard<std::mutex> lock(arena_mu);
  Slot& s = arena()[{int(kind), device}];
  if (s.lent) {
    private_ = true;
    p_ = raw_alloc(kind, device, bytes_, what);
    return;
  }
  if (s.bytes < bytes_) {
    raw_free(kind, device, s.p);
    s = Slot{};
    s.p = raw_alloc(kind, device, bytes_, what);
    s.bytes = bytes_;
  }
  s.lent = true;
  p_ = s.p;
}

Lease& Lease::operator=(Lease&& o) noexcept {
  if (this == &o) return *this;
  this->~Lease();
  p_ = o.p_, kind_ = o.kind_, device_ = o.device_, private_ = o.private_, bytes_ = o.bytes_;
  o.p_ = nullptr;
  return *this;
}

Lease::~Lease() {
  if (!p_) return;
  if (private_) {
    raw_free(kind_, device_, p_);
  } else {
    std::lock_guard<std::mutex> lock(arena_mu);
    arena()[{int(kind_), device_}].lent = false;
  }
  p_ = nullptr;
}

void release_arena() {
  std::lock_guard<std::mutex> lock(arena_mu);
  for (auto it = arena().begin(); it != arena().end();) {
    if (it->second.lent) {
      ++it;
      continue;
    }
    raw_free(BufferKind(it->first.first), it->first.second, it->second.p);
    it = arena().erase(it);
  }
}

StreamHandle::StreamHandle() { check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate"); }
StreamHandle::~StreamHandle() {
  if (!s) return;
  cudaStreamSynchronize(s);
  cudaStreamDestroy(s);
  cudaGetLastError();
}

EventHandle::EventHandle(unsigned flags) { check(cudaEventCreateWithFlags(&e, flags), "cudaEventCreate"); }
EventHandle::~EventHandle() {
  if (e) cudaEventDestroy(e);
}

LaunchGate::LaunchGate() {
  int device = 0;
  cudaGetDevice(&device);
  // Not from the shared slot: several gates may be live at once.
  flags_ = Lease(BufferKind::PinnedGate, device, 2 * sizeof(int), "the launch gate");
  arm();
}
LaunchGate::~LaunchGate() { release(); }

void LaunchGate::arm() {
  volatile int* f = flags_.as<volatile int>();
  f[0] = 0;
  f[1] = 0;
}

void LaunchGate::hold(cudaStream_t stream) {
  check(launch_hold(flags_.as<int>(), kTimeoutNs, stream), "launching the gate kernel");
}

void LaunchGate::release() {
  if (flags_.get()) flags_.as<volatile int>()[0] = 1;
}

bool LaunchGate::timed_out() const { return flags_.as<volatile int>()[1] != 0; }

uint64_t flush_bytes(int device) {
  int l2 = 0;
  cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device);
  return std::max<uint64_t>(256ull << 20, 4 * uint64_t(l2));
}

}  // namespace gb
