#include <algorithm>

#include <cub/device/device_radix_sort.cuh>

#include "../native/src/hash.h"
#include "gather.h"

namespace gb {
namespace {

template <int V> struct VecOf;
template <> struct VecOf<2> { using T = uint16_t; };
template <> struct VecOf<4> { using T = uint32_t; };
template <> struct VecOf<8> { using T = uint2; };
template <> struct VecOf<16> { using T = uint4; };

template <int V>
__device__ __forceinline__ void store_elements(uint8_t* dst_row, int64_t b, int64_t row_bytes, int elem_bytes,
                                               const typename VecOf<V>::T& x) {
  union { typename VecOf<V>::T v; uint8_t bytes[V]; } u;
  u.v = x;
#pragma unroll
  for (int e = 0; e < V; e += 2) {
    if (e % elem_bytes != 0) continue;
    const int64_t bb = b + e;
    if (bb < 0 || bb >= row_bytes) continue;
    uint8_t* d = dst_row + bb;
    switch (elem_bytes) {
      case 2: *reinterpret_cast<uint16_t*>(d) = *reinterpret_cast<const uint16_t*>(u.bytes + e); break;
      case 4: *reinterpret_cast<uint32_t*>(d) = *reinterpret_cast<const uint32_t*>(u.bytes + e); break;
      default: *reinterpret_cast<uint64_t*>(d) = *reinterpret_cast<const uint64_t*>(u.bytes + e); break;
    }
  }
}

// One group of threads (a warp, or the whole block) copies one row at a time,
// striding over rows. Loads of a lane are issued before its stores (UNROLL
// vectors in flight per lane): zero-copy reads take a PCIe round trip each.
// What a gather kernel does besides copying rows: NAIVE lanes read from the
// row start; the others use PyTorch-Direct's aligned mapping; CACHED reads
// hot rows from a device cache; SCATTER writes row j to out_pos[j] (rows
// gathered in sorted index order, put back where the batch wants them).
enum Kind { NAIVE, ALIGNED_ROWS, CACHED, SCATTER };

template <int V, Kind K>
__global__ void gather_kernel(const uint8_t* __restrict__ table, const int64_t* __restrict__ idx, int64_t n,
                              uint8_t* __restrict__ out, int64_t row_bytes, int elem_bytes, int group,
                              const int32_t* __restrict__ slot_of, const uint8_t* __restrict__ cache,
                              const int64_t* __restrict__ out_pos) {
  constexpr bool ALIGNED = K != NAIVE;
  using Vec = typename VecOf<V>::T;
  constexpr int UNROLL = 4;
  const int64_t tid = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const int lane = int(tid % group);
  const int64_t groups = int64_t(gridDim.x) * blockDim.x / group;
  for (int64_t j = tid / group; j < n; j += groups) {
    const uint8_t* src = table + idx[j] * row_bytes;
    if (K == CACHED) {  // one lookup per row, the same for every lane of the group
      const int32_t s = slot_of[idx[j]];
      if (s >= 0) src = cache + int64_t(s) * row_bytes;
    }
    uint8_t* dst = out + (K == SCATTER ? out_pos[j] : j) * row_bytes;
    const int head = ALIGNED ? int(reinterpret_cast<uintptr_t>(src) & 127) : 0;
    const Vec* base = reinterpret_cast<const Vec*>(src - head);
    const int64_t nvec = (head + row_bytes + V - 1) / V;
    for (int64_t v0 = lane; v0 < nvec; v0 += int64_t(group) * UNROLL) {
      Vec x[UNROLL];
      // Lanes whose vector lies wholly before the row start stay idle: loading
      // it would carry bytes of the previous row over PCIe for nothing.
      const int64_t first = ALIGNED ? head / V : 0;
#pragma unroll
      for (int u = 0; u < UNROLL; ++u) {
        const int64_t v = v0 + int64_t(u) * group;
        if (v < nvec && v >= first) x[u] = base[v];
      }
#pragma unroll
      for (int u = 0; u < UNROLL; ++u) {
        const int64_t v = v0 + int64_t(u) * group;
        if (v >= nvec) break;
        if (v < first) continue;
        const int64_t b = v * V - head;  // byte offset in the row of this vector
        if (!ALIGNED || (b >= 0 && b + V <= row_bytes && (reinterpret_cast<uintptr_t>(dst + b) % V) == 0))
          *reinterpret_cast<Vec*>(dst + b) = x[u];
        else
          store_elements<V>(dst, b, row_bytes, elem_bytes, x[u]);
      }
    }
  }
}

Kind kind_of(const GatherLaunch& l) {
  return l.out_pos ? SCATTER : l.slot_of ? CACHED : l.aligned ? ALIGNED_ROWS : NAIVE;
}

template <int V>
const void* kernel_for(Kind k) {
  switch (k) {
    case NAIVE: return reinterpret_cast<const void*>(&gather_kernel<V, NAIVE>);
    case ALIGNED_ROWS: return reinterpret_cast<const void*>(&gather_kernel<V, ALIGNED_ROWS>);
    case CACHED: return reinterpret_cast<const void*>(&gather_kernel<V, CACHED>);
    default: return reinterpret_cast<const void*>(&gather_kernel<V, SCATTER>);
  }
}

const void* kernel_of(const GatherLaunch& l) {
  switch (l.vector_bytes) {
    case 2: return kernel_for<2>(kind_of(l));
    case 4: return kernel_for<4>(kind_of(l));
    case 8: return kernel_for<8>(kind_of(l));
    case 16: return kernel_for<16>(kind_of(l));
    default: return nullptr;
  }
}

__global__ void checksum_kernel(const uint8_t* __restrict__ out, int64_t bytes, unsigned long long* result) {
  const int64_t words = (bytes + 7) / 8;
  unsigned long long acc = 0;
  for (int64_t w = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; w < words; w += int64_t(gridDim.x) * blockDim.x) {
    uint64_t word = 0;
    if (8 * w + 8 <= bytes) {
      word = reinterpret_cast<const uint64_t*>(out)[w];
    } else {
      for (int64_t k = 8 * w; k < bytes; ++k) word |= uint64_t(out[k]) << (8 * (k - 8 * w));
    }
    acc += checksum_term(word, uint64_t(w));
  }
  for (int o = 16; o > 0; o >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, o);
  if ((threadIdx.x & 31) == 0) atomicAdd(result, acc);
}

__global__ void delay_kernel(uint64_t ns) {
  uint64_t t0, t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
  do {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  } while (t - t0 < ns);
}

__global__ void hold_kernel(volatile int* flags, uint64_t timeout_ns) {
  uint64_t t0, t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
  while (flags[0] == 0) {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    if (t - t0 > timeout_ns) {
      flags[1] = 1;
      return;
    }
  }
}

__global__ void empty_kernel() {}

__global__ void iota_kernel(int64_t* p, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) p[i] = i;
}

}  // namespace

cudaError_t launch_hold(int* flags, uint64_t timeout_ns, cudaStream_t stream) {
  hold_kernel<<<1, 1, 0, stream>>>(flags, timeout_ns);
  return cudaGetLastError();
}

cudaError_t launch_iota(int64_t* positions, int64_t n, cudaStream_t stream) {
  if (n <= 0) return cudaSuccess;
  iota_kernel<<<int(std::min<int64_t>(4096, (n + 255) / 256)), 256, 0, stream>>>(positions, n);
  return cudaGetLastError();
}

cudaError_t sort_indices(void* temp, size_t& temp_bytes, const int64_t* keys, int64_t* sorted_keys, const int64_t* positions,
                         int64_t* out_pos, int64_t n, int end_bit, cudaStream_t stream) {
  // Only the bits a row index can use are sorted: fewer radix passes.
  return cub::DeviceRadixSort::SortPairs(temp, temp_bytes, keys, sorted_keys, positions, out_pos, n, 0, end_bit, stream);
}

cudaError_t launch_empty(cudaStream_t stream) {
  empty_kernel<<<1, 1, 0, stream>>>();
  return cudaGetLastError();
}

cudaError_t launch_delay(uint64_t ns, cudaStream_t stream) {
  delay_kernel<<<1, 1, 0, stream>>>(ns);
  return cudaGetLastError();
}

cudaError_t resolve_grid(GatherLaunch& l, int device) {
  if (l.grid > 0) return cudaSuccess;
  const void* k = kernel_of(l);
  if (!k) return cudaErrorInvalidValue;
  int sms = 0, per_sm = 0;
  cudaError_t e = cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  if (e == cudaSuccess) e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, k, l.block, 0);
  if (e != cudaSuccess) return e;
  const int64_t groups_per_block = l.block_per_row ? 1 : l.block / (l.subwarp ? l.subwarp : 32);
  const int64_t needed = (l.n + groups_per_block - 1) / groups_per_block;
  l.grid = int(std::max<int64_t>(1, std::min<int64_t>(int64_t(sms) * std::max(per_sm, 1), needed)));
  return cudaSuccess;
}

cudaError_t launch_gather(const GatherLaunch& l, cudaStream_t stream) {
  const int group = l.block_per_row ? l.block : l.subwarp ? l.subwarp : 32;
  if (l.n == 0) return cudaSuccess;
  // The cached and scatter kernels always use the aligned mapping.
  const Kind k = kind_of(l);
#define GB_ARGS l.table, l.idx, l.n, l.out, l.row_bytes, l.elem_bytes, group, l.slot_of, l.cache, l.out_pos
#define GB_KIND(V, K) gather_kernel<V, K><<<l.grid, l.block, 0, stream>>>(GB_ARGS)
#define GB_LAUNCH(V)                         \
  switch (k) {                               \
    case NAIVE: GB_KIND(V, NAIVE); break;    \
    case ALIGNED_ROWS: GB_KIND(V, ALIGNED_ROWS); break; \
    case CACHED: GB_KIND(V, CACHED); break;  \
    default: GB_KIND(V, SCATTER); break;     \
  }
  switch (l.vector_bytes) {
    case 2: GB_LAUNCH(2); break;
    case 4: GB_LAUNCH(4); break;
    case 8: GB_LAUNCH(8); break;
    case 16: GB_LAUNCH(16); break;
    default: return cudaErrorInvalidValue;
  }
#undef GB_LAUNCH
#undef GB_KIND
#undef GB_ARGS
  return cudaGetLastError();
}

cudaError_t launch_checksum(const uint8_t* out, int64_t bytes, unsigned long long* result, cudaStream_t stream) {
  cudaError_t e = cudaMemsetAsync(result, 0, sizeof(unsigned long long), stream);
  if (e != cudaSuccess) return e;
  const int64_t words = (bytes + 7) / 8;
  const int grid = int(std::min<int64_t>(4096, std::max<int64_t>(1, (words + 255) / 256)));
  checksum_kernel<<<grid, 256, 0, stream>>>(out, bytes, result);
  return cudaGetLastError();
}

}  // namespace gb
