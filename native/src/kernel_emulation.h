// The gather kernel run on the host, thread by thread (kernels/gather_kernel.cuh):
// a CPU-side check, in CI without a GPU, of the exact code every GPU gather runs.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "host_table.h"
#include "method.h"

namespace gb {

struct EmulatedLaunch {
  // naive | aligned | cached (every third row in a cache, spoiled in the table) | scatter (sorted, written back)
  std::string kind = "aligned";
  int vector_bytes = 4;
  int group = 32;  // threads per row: 32 (warp), the block size (block per row) or fewer (sub-warp)
  int block = 64;
  int grid = 2;
  bool gpu_memory = false;  // as a gather from GPU memory launches it (one vector a lane for short rows)
};

// Vectors each lane keeps in flight in the kernel this launch runs (unroll_for in gather_kernel.cuh).
int emulated_in_flight(const EmulatedLaunch& l, uint64_t row_bytes);

// The byte range the kernel's loads read, relative to the table's first byte (to: one past the last).
struct EmulatedReads {
  int64_t from = 0, to = 0;
};

// Gathers idx through the emulated kernel into a poisoned output with guard
// bytes on both sides, then compares every row with the table; `reads` gets
// the range the loads read (kinds that read only the table).
Verdict emulate_gather(const HostTable& t, const std::vector<int64_t>& idx, int elem_bytes, const EmulatedLaunch& l,
                       ThreadPool& pool, EmulatedReads* reads = nullptr);

// The GPU's check of an output (pattern_check in kernels/gather.cu), run on the host word by word over an
// output gathered here from the table, with the byte at `corrupt_byte` flipped where it is >= 0.
struct PatternCheck {
  uint64_t checksum = 0;         // of the expected words: the reference the GPU computes
  uint64_t output_checksum = 0;  // of the output as gathered (host_checksum)
  int64_t first_bad_byte = -1;
};
PatternCheck emulate_pattern_check(const HostTable& t, const std::vector<int64_t>& idx, int64_t corrupt_byte, ThreadPool& pool);

}  // namespace gb
