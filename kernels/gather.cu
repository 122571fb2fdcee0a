#include <algorithm>

#include <cub/device/device_radix_sort.cuh>

#include "../native/src/hash.h"
#include "gather.h"
#include "gather_kernel.cuh"

namespace gb {
namespace {

Kind kind_of(const GatherLaunch& l) {
  return l.scatter ? SCATTER : l.slot_of ? CACHED : l.aligned ? ALIGNED_ROWS : NAIVE;
}

template <int V>
const void* kernel_for(Kind k, int unroll) {
  const auto fn = [](auto kernel) { return reinterpret_cast<const void*>(kernel); };
  if (unroll == 1) {  // GPU memory: plain or aligned reads only
    if (k == NAIVE) return fn(&gather_kernel<V, NAIVE, 1>);
    if (k == ALIGNED_ROWS) return fn(&gather_kernel<V, ALIGNED_ROWS, 1>);
    return nullptr;
  }
  switch (k) {
    case NAIVE: return fn(&gather_kernel<V, NAIVE>);
    case ALIGNED_ROWS: return fn(&gather_kernel<V, ALIGNED_ROWS>);
    case CACHED: return fn(&gather_kernel<V, CACHED>);
    default: return fn(&gather_kernel<V, SCATTER>);
  }
}

int group_of(const GatherLaunch& l) { return l.block_per_row ? l.block : l.subwarp ? l.subwarp : 32; }

// The one kernel a launch runs: its vector width, kind and unroll (unroll_for in gather_kernel.cuh).
const void* kernel_of(const GatherLaunch& l) {
  const Kind k = kind_of(l);
  const int unroll = gather_in_flight(l);
  switch (l.vector_bytes) {
    case 2: return kernel_for<2>(k, unroll);
    case 4: return kernel_for<4>(k, unroll);
    case 8: return kernel_for<8>(k, unroll);
    case 16: return kernel_for<16>(k, unroll);
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

// The output checked against the table's pattern, word by word, never reading the table: result[0] gets the
// checksum a correct output has (checksum_term over the expected words), result[1] the lowest output byte
// that differs (left as it was, all ones, where none does). out == nullptr: the checksum alone.
__global__ void pattern_check_kernel(const uint8_t* __restrict__ out, const int64_t* __restrict__ idx, int64_t bytes,
                                     int64_t row_bytes, uint64_t seed, unsigned long long* result) {
  const int64_t words = (bytes + 7) / 8;
  unsigned long long acc = 0, bad = ~0ull;
  for (int64_t w = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; w < words; w += int64_t(gridDim.x) * blockDim.x) {
    const uint64_t want = expected_output_word(seed, idx, uint64_t(row_bytes), uint64_t(bytes), uint64_t(w));
    acc += checksum_term(want, uint64_t(w));
    if (!out) continue;
    uint64_t got = 0;
    if (8 * w + 8 <= bytes) {
      got = reinterpret_cast<const uint64_t*>(out)[w];
    } else {
      for (int64_t k = 8 * w; k < bytes; ++k) got |= uint64_t(out[k]) << (8 * (k - 8 * w));
    }
    const int b = first_differing_byte(got, want);
    if (b < 8 && uint64_t(8 * w + b) < bad) bad = uint64_t(8 * w + b);
  }
  for (int o = 16; o > 0; o >>= 1) {
    acc += __shfl_down_sync(0xffffffffu, acc, o);
    const unsigned long long other = __shfl_down_sync(0xffffffffu, bad, o);
    bad = other < bad ? other : bad;
  }
  if ((threadIdx.x & 31) == 0) {
    atomicAdd(&result[0], acc);
    if (bad != ~0ull) atomicMin(&result[1], bad);
  }
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

// One 4-byte read every `stride` bytes of [base, base + bytes): loads a translation for each page it reads.
__global__ void touch_kernel(const uint8_t* base, int64_t pages, int64_t stride) {
  unsigned acc = 0;
  for (int64_t p = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; p < pages; p += int64_t(gridDim.x) * blockDim.x)
    acc += *reinterpret_cast<const volatile unsigned*>(base + p * stride);  // volatile: every read happens
  (void)acc;
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
  const int64_t groups_per_block = l.block / group_of(l);
  const int64_t needed = (l.n + groups_per_block - 1) / groups_per_block;
  l.grid = int(std::max<int64_t>(1, std::min<int64_t>(int64_t(sms) * std::max(per_sm, 1), needed)));
  return cudaSuccess;
}

cudaError_t kernel_occupancy(const GatherLaunch& l, int& registers, int& blocks_per_sm) {
  const void* k = kernel_of(l);
  if (!k) return cudaErrorInvalidValue;
  cudaFuncAttributes a{};
  cudaError_t e = cudaFuncGetAttributes(&a, k);
  if (e == cudaSuccess) e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&blocks_per_sm, k, l.block, 0);
  registers = a.numRegs;
  return e;
}

int gather_in_flight(const GatherLaunch& l) {
  return unroll_for(l.gpu_memory, l.row_bytes, l.vector_bytes, group_of(l), kind_of(l) != NAIVE);
}

cudaError_t launch_gather(const GatherLaunch& l, cudaStream_t stream) {
  if (l.n == 0) return cudaSuccess;
  const void* k = kernel_of(l);
  if (!k || (l.scatter && !l.out_pos)) return cudaErrorInvalidValue;
  // The kernel's parameters, in its order (gather_kernel.cuh).
  const uint8_t* table = l.table;
  const int64_t* idx = l.idx;
  int64_t n = l.n, row_bytes = l.row_bytes;
  uint8_t* out = l.out;
  int elem_bytes = l.elem_bytes, group = group_of(l);
  const int32_t* slot_of = l.slot_of;
  const uint8_t* cache = l.cache;
  const int64_t* out_pos = l.out_pos;
  void* args[] = {&table, &idx, &n, &out, &row_bytes, &elem_bytes, &group, &slot_of, &cache, &out_pos};
  return cudaLaunchKernel(k, dim3(unsigned(l.grid)), dim3(unsigned(l.block)), args, 0, stream);
}

cudaError_t launch_touch_pages(const uint8_t* base, int64_t bytes, int64_t stride, cudaStream_t stream) {
  const int64_t pages = bytes / stride;
  if (pages <= 0) return cudaSuccess;
  touch_kernel<<<int(std::min<int64_t>(1024, (pages + 255) / 256)), 256, 0, stream>>>(base, pages, stride);
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

cudaError_t launch_pattern_check(const uint8_t* out, const int64_t* idx, int64_t bytes, int64_t row_bytes, uint64_t seed,
                                 unsigned long long* result, cudaStream_t stream) {
  const unsigned long long init[2] = {0, ~0ull};
  cudaError_t e = cudaMemcpyAsync(result, init, sizeof init, cudaMemcpyHostToDevice, stream);
  if (e != cudaSuccess) return e;
  const int64_t words = (bytes + 7) / 8;
  const int grid = int(std::min<int64_t>(8192, std::max<int64_t>(1, (words + 255) / 256)));
  pattern_check_kernel<<<grid, 256, 0, stream>>>(out, idx, bytes, row_bytes, seed, result);
  e = cudaGetLastError();
  if (e != cudaSuccess) return e;
  return cudaStreamSynchronize(stream);  // `init` lives on this stack until the copy has run
}

}  // namespace gb
