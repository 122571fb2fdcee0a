// Launch interface of the gather kernels (kernels/gather.cu), shared with the
// host code in native/. Every method that gathers on the GPU (zero-copy,
// device-resident, UVM) runs the same kernel; only where `table` points differs.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace gb {

struct GatherLaunch {
  const uint8_t* table = nullptr;  // row 0; rows start every row_bytes
  const int64_t* idx = nullptr;    // device memory, n entries
  int64_t n = 0;
  uint8_t* out = nullptr;  // dense n x row_bytes, device memory
  int64_t row_bytes = 0;
  int elem_bytes = 4;
  // false: lane i of a group reads vector i of the row, from the row start
  //        (row_bytes must be a multiple of vector_bytes);
  // true:  PyTorch-Direct's mapping: the group starts at the 128-byte boundary
  //        at or below the row start and lanes before the row idle, so no
  //        request straddles two 128-byte segments.
  bool aligned = true;
  int vector_bytes = 4;        // 2, 4, 8 or 16; a multiple of elem_bytes
  bool block_per_row = false;  // false: one warp per row (or a sub-warp group, below)
  // Threads per row when neither a warp nor a block: a power of two under 32
  // (short rows in device memory: several rows per warp in flight). 0: unused.
  int subwarp = 0;
  // The table is in GPU memory (device-resident, uvm): short rows get one vector in flight per lane instead
  // of four (unroll_for in gather_kernel.cuh).
  bool gpu_memory = false;
  int block = 256;
  int grid = 0;  // 0: as many blocks as fit on the device at once
  // A GPU-side cache of hot rows (cached-zerocopy): where slot_of[r] >= 0,
  // row r is read from cache + slot_of[r] * row_bytes (device memory)
  // instead of the table. nullptr: no cache (a kernel without the lookup).
  const int32_t* slot_of = nullptr;
  const uint8_t* cache = nullptr;
  // zerocopy-sorted (scatter): idx holds the batch's indices sorted, and row j
  // of the gather goes to output row out_pos[j] (set before each launch).
  bool scatter = false;
  const int64_t* out_pos = nullptr;
};
// zerocopy-sorted: sorts keys (n indices) into sorted_keys with positions
// 0..n-1 carried into out_pos (CUB radix sort); temp == nullptr asks for the
// temporary storage it needs in temp_bytes.
cudaError_t sort_indices(void* temp, size_t& temp_bytes, const int64_t* keys, int64_t* sorted_keys, const int64_t* positions,
                         int64_t* out_pos, int64_t n, int end_bit, cudaStream_t stream);
// positions[i] = i
cudaError_t launch_iota(int64_t* positions, int64_t n, cudaStream_t stream);

// Fills in l.grid when it is 0 (occupancy x SMs, capped by the work).
cudaError_t resolve_grid(GatherLaunch& l, int device);
// The registers a thread of the launch's kernel uses and the blocks an SM keeps resident at its block size.
cudaError_t kernel_occupancy(const GatherLaunch& l, int& registers, int& blocks_per_sm);
cudaError_t launch_gather(const GatherLaunch& l, cudaStream_t stream);
// Vectors each lane keeps in flight in the kernel this launch runs (unroll_for in gather_kernel.cuh).
int gather_in_flight(const GatherLaunch& l);
// Reads 4 bytes every `stride` bytes of [base, base + bytes) (the flush's translation part).
cudaError_t launch_touch_pages(const uint8_t* base, int64_t bytes, int64_t stride, cudaStream_t stream);
// Adds checksum_term(word w, w) over the output's 8-byte words into *result.
cudaError_t launch_checksum(const uint8_t* out, int64_t bytes, unsigned long long* result, cudaStream_t stream);
// Checks the output of a gather of idx (device memory) against the table's pattern (hash.h) without reading
// the table: result[0] = the checksum a correct output has, result[1] = the first output byte that differs
// (all ones where none). out == nullptr computes the checksum alone. Waits for the stream.
cudaError_t launch_pattern_check(const uint8_t* out, const int64_t* idx, int64_t bytes, int64_t row_bytes, uint64_t seed,
                                 unsigned long long* result, cudaStream_t stream);
// One thread spinning on the global timer for ns nanoseconds (test slowdowns only).
cudaError_t launch_delay(uint64_t ns, cudaStream_t stream);
// The launch gate: one thread spins until flags[0] (host-mapped) becomes
// non-zero, or sets flags[1] and gives up after timeout_ns.
cudaError_t launch_hold(int* flags, uint64_t timeout_ns, cudaStream_t stream);
// A kernel that does nothing: what a launch costs.
cudaError_t launch_empty(cudaStream_t stream);

}  // namespace gb
