// The gather kernel itself, shared by kernels/gather.cu (compiled by nvcc for
// the GPU) and native/src/kernel_emulation.cc (compiled as host C++ and run
// one thread at a time, so CI without a GPU checks this exact code: indices,
// the aligned mapping's head and tail, the cache lookup, the scatter).
// Threads share nothing (no shared memory, no shuffles, disjoint output
// bytes), which is what makes a sequential emulation exact.
#pragma once
#include <cstdint>
#include <type_traits>

#if defined(__CUDACC__)
#define GB_KERNEL __global__
#define GB_DEVICE __device__ __forceinline__
#define GB_UNROLL _Pragma("unroll")
#else
// Host emulation: the includer declares blockIdx, threadIdx, blockDim and gridDim in namespace gb.
#define GB_KERNEL inline
#define GB_DEVICE inline
#define GB_UNROLL
struct uint2 { uint32_t x, y; };
struct uint4 { uint32_t x, y, z, w; };
#endif

// A load of the table or cache: plain indexing on the GPU; the host emulation defines it to record the bytes
// each load reads (kernel_emulation.cc), so a test can hold the reads to the invariant below.
#ifndef GB_LOAD
#define GB_LOAD(p, i) ((p)[i])
#endif

namespace gb {

template <int V> struct VecOf;
template <> struct VecOf<2> { using T = uint16_t; };
template <> struct VecOf<4> { using T = uint32_t; };
template <> struct VecOf<8> { using T = uint2; };
template <> struct VecOf<16> { using T = uint4; };

template <int V>
GB_DEVICE void store_elements(uint8_t* dst_row, int64_t b, int64_t row_bytes, int elem_bytes, const typename VecOf<V>::T& x) {
  union { typename VecOf<V>::T v; uint8_t bytes[V]; } u;
  u.v = x;
  GB_UNROLL
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

// What a gather kernel does besides copying rows: NAIVE lanes read from the
// row start; the others use PyTorch-Direct's aligned mapping; CACHED reads
// hot rows from a device cache; SCATTER writes row j to out_pos[j] (rows
// gathered in sorted index order, put back where the batch wants them).
enum Kind { NAIVE, ALIGNED_ROWS, CACHED, SCATTER };

// Vectors a lane keeps in flight. Four where rows come over PCIe (zero-copy): each read is a round trip of a
// microsecond or more. From GPU memory (device-resident, uvm), one where a row gives each lane at most three
// vectors: four took 55 registers a thread in the aligned kernel (4 blocks of 256 resident per H100 SM), one
// takes 32 (8 blocks), and for short rows it is the warps resident that keep rows in flight (64 B rows from
// an 8 GiB device table: 218 -> 434 GB/s; 256 B: 744 -> 977). Longer rows keep four: there one vector a lane
// lost 9-18% (1200 B and 4 KB rows, 16K-1M of them).
inline constexpr int unroll_for(bool gpu_memory, int64_t row_bytes, int vector_bytes, int group, bool aligned) {
  const int64_t span = row_bytes + (aligned ? 127 : 0);  // the most a group reads for one row
  const int64_t per_lane = (span + int64_t(vector_bytes) * group - 1) / (int64_t(vector_bytes) * group);
  return gpu_memory && per_lane <= 3 ? 1 : 4;
}

// One group of threads (a warp, a sub-warp group, or the whole block) copies
// one row at a time, striding over rows. Loads of a lane are issued before its
// stores (UNROLL vectors in flight per lane).
// Reads outside a row, relied on here: the aligned mapping loads whole V-byte vectors from the 128-byte
// boundary at or below the row start, so a row's first vector may begin up to V-1 bytes before it and its
// last end up to V-1 bytes after it. Safe only because every table (and cache) starts on a 128-byte
// boundary (row 0 then has no bytes before it) and is followed by HostTable::kPadBytes (256) of pad, more
// than V-1 past the last row; test/kernel-emulation.test.ts measures the reads.
template <int V, Kind K, int UNROLL = 4>
GB_KERNEL void gather_kernel(const uint8_t* __restrict__ table, const int64_t* __restrict__ idx, int64_t n,
                             uint8_t* __restrict__ out, int64_t row_bytes, int elem_bytes, int group,
                             const int32_t* __restrict__ slot_of, const uint8_t* __restrict__ cache,
                             const int64_t* __restrict__ out_pos) {
  constexpr bool ALIGNED = K != NAIVE;
  using Vec = typename VecOf<V>::T;
  // Offsets within a row: 32 bits in the one-vector kernels (they read rows of at most three vectors a lane,
  // under 48 KiB), where 64-bit ones cost the registers that bound their occupancy; the four-vector kernels
  // keep the code measured all along.
  using Off = std::conditional_t<UNROLL == 1, int, int64_t>;
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
    const Off nvec = (head + Off(row_bytes) + V - 1) / V;
    for (Off v0 = lane; v0 < nvec; v0 += Off(group) * UNROLL) {
      Vec x[UNROLL];
      // Lanes whose vector lies wholly before the row start stay idle: loading
      // it would carry bytes of the previous row over PCIe for nothing.
      const Off first = ALIGNED ? head / V : 0;
      GB_UNROLL
      for (int u = 0; u < UNROLL; ++u) {
        const Off v = v0 + Off(u) * group;
        if (v < nvec && v >= first) x[u] = GB_LOAD(base, v);
      }
      GB_UNROLL
      for (int u = 0; u < UNROLL; ++u) {
        const Off v = v0 + Off(u) * group;
        if (v >= nvec) break;
        if (v < first) continue;
        const Off b = v * V - head;  // byte offset in the row of this vector
        if (!ALIGNED || (b >= 0 && b + V <= Off(row_bytes) && (reinterpret_cast<uintptr_t>(dst + b) % V) == 0))
          *reinterpret_cast<Vec*>(dst + b) = x[u];
        else
          store_elements<V>(dst, b, Off(row_bytes), elem_bytes, x[u]);
      }
    }
  }
}

}  // namespace gb
