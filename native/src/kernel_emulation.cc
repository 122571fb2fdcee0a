#include "kernel_emulation.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <numeric>

#include "errors.h"
#include "hash.h"

namespace gb {

// The CUDA built-ins the kernel reads, set before each emulated thread runs.
struct EmulatedDim {
  unsigned x = 0;
};
static EmulatedDim blockIdx, threadIdx, blockDim, gridDim;

// The lowest and one past the highest byte the emulated kernel loads (GB_LOAD in gather_kernel.cuh).
static const uint8_t *read_lo = nullptr, *read_hi = nullptr;
template <typename T>
inline const T& emulated_load(const T* p, int64_t i) {
  const uint8_t* at = reinterpret_cast<const uint8_t*>(p + i);
  if (!read_lo || at < read_lo) read_lo = at;
  if (!read_hi || at + sizeof(T) > read_hi) read_hi = at + sizeof(T);
  return p[i];
}

}  // namespace gb

#define GB_LOAD(p, i) ::gb::emulated_load(p, int64_t(i))

#include "../../kernels/gather_kernel.cuh"

namespace gb {
namespace {

struct FreeAligned {
  void operator()(uint8_t* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<uint8_t, FreeAligned>;

Buffer aligned_buffer(uint64_t bytes, uint8_t fill) {
  uint8_t* p = static_cast<uint8_t*>(std::aligned_alloc(256, (bytes + 255) / 256 * 256));
  if (!p) throw Error("OOM", "out of host memory for the emulated gather");
  std::memset(p, fill, (bytes + 255) / 256 * 256);
  return Buffer(p);
}

struct Args {
  const uint8_t* table;
  const int64_t* idx;
  int64_t n;
  uint8_t* out;
  int64_t row_bytes;
  int elem_bytes, group;
  const int32_t* slot_of;
  const uint8_t* cache;
  const int64_t* out_pos;
};

template <int V, Kind K, int U = 4>
void run_grid(const Args& a, const EmulatedLaunch& l) {
  gridDim.x = unsigned(l.grid);
  blockDim.x = unsigned(l.block);
  for (unsigned b = 0; b < gridDim.x; ++b)
    for (unsigned t = 0; t < blockDim.x; ++t) {
      blockIdx.x = b;
      threadIdx.x = t;
      gather_kernel<V, K, U>(a.table, a.idx, a.n, a.out, a.row_bytes, a.elem_bytes, a.group, a.slot_of, a.cache, a.out_pos);
    }
}

template <int V>
void run_kind(Kind k, const Args& a, const EmulatedLaunch& l) {
  const bool one = emulated_in_flight(l, uint64_t(a.row_bytes)) == 1;  // the choice kernel_of makes on the GPU
  switch (k) {
    case NAIVE: return one ? run_grid<V, NAIVE, 1>(a, l) : run_grid<V, NAIVE>(a, l);
    case ALIGNED_ROWS: return one ? run_grid<V, ALIGNED_ROWS, 1>(a, l) : run_grid<V, ALIGNED_ROWS>(a, l);
    case CACHED: return run_grid<V, CACHED>(a, l);
    default: return run_grid<V, SCATTER>(a, l);
  }
}

Kind kind_named(const std::string& name) {
  if (name == "naive") return NAIVE;
  if (name == "aligned") return ALIGNED_ROWS;
  if (name == "cached") return CACHED;
  if (name == "scatter") return SCATTER;
  throw Error("BAD_ARGUMENT", "unknown kernel kind '" + name + "' (naive, aligned, cached, scatter)");
}

}  // namespace

int emulated_in_flight(const EmulatedLaunch& l, uint64_t row_bytes) {
  return unroll_for(l.gpu_memory, int64_t(row_bytes), l.vector_bytes, l.group, kind_named(l.kind) != NAIVE);
}

Verdict emulate_gather(const HostTable& t, const std::vector<int64_t>& idx, int elem_bytes, const EmulatedLaunch& l,
                       ThreadPool& pool, EmulatedReads* reads) {
  const Kind kind = kind_named(l.kind);
  if (l.gpu_memory && kind != NAIVE && kind != ALIGNED_ROWS)
    throw Error("BAD_ARGUMENT", "only naive and aligned kernels gather from GPU memory");
  if (l.group < 1 || l.block < l.group || l.block % l.group != 0 || l.grid < 1)
    throw Error("BAD_ARGUMENT", "the group must divide the block, and the grid hold a block");
  const uint64_t rb = t.row_bytes(), n = idx.size();
  constexpr uint64_t kGuard = 256;
  Buffer out = aligned_buffer(n * rb + 2 * kGuard, 0xA5);
  Args a{t.data(), idx.data(), int64_t(n), out.get() + kGuard, int64_t(rb), elem_bytes, l.group, nullptr, nullptr, nullptr};
  // cached: every third row of the table in a device-style cache, so rows hit and miss; the kernel reads
  // a copy of the table whose cached rows are spoiled, so a hit served from the table shows
  std::vector<int32_t> slot_of;
  Buffer cache, spoiled;
  // scatter: gathered in sorted order, row j written to its place out_pos[j] in the batch
  std::vector<int64_t> sorted, out_pos;
  if (kind == CACHED) {
    slot_of.assign(t.rows(), -1);
    const uint64_t cached = (t.rows() + 2) / 3;
    cache = aligned_buffer(cached * rb + HostTable::kPadBytes, 0);
    spoiled = aligned_buffer(t.rows() * rb + HostTable::kPadBytes, 0);
    std::memcpy(spoiled.get(), t.data(), t.rows() * rb);
    for (uint64_t r = 0; r < t.rows(); r += 3) {
      slot_of[r] = int32_t(r / 3);
      std::memcpy(cache.get() + (r / 3) * rb, t.data() + r * rb, rb);
      for (uint64_t b = 0; b < rb; ++b) spoiled.get()[r * rb + b] ^= 0xFF;
    }
    a.table = spoiled.get();
    a.slot_of = slot_of.data();
    a.cache = cache.get();
  } else if (kind == SCATTER) {
    out_pos.resize(n);
    std::iota(out_pos.begin(), out_pos.end(), 0);
    std::stable_sort(out_pos.begin(), out_pos.end(), [&](int64_t x, int64_t y) { return idx[x] < idx[y]; });
    sorted.resize(n);
    for (uint64_t j = 0; j < n; ++j) sorted[j] = idx[out_pos[j]];
    a.idx = sorted.data();
    a.out_pos = out_pos.data();
  }
  read_lo = read_hi = nullptr;
  switch (l.vector_bytes) {
    case 2: run_kind<2>(kind, a, l); break;
    case 4: run_kind<4>(kind, a, l); break;
    case 8: run_kind<8>(kind, a, l); break;
    case 16: run_kind<16>(kind, a, l); break;
    default: throw Error("BAD_ARGUMENT", "vector width must be 2, 4, 8 or 16 bytes");
  }
  if (reads && read_lo && kind != CACHED) *reads = {read_lo - a.table, read_hi - a.table};
  const uint8_t* o = out.get();
  for (uint64_t g = 0; g < kGuard; ++g)
    if (o[g] != 0xA5 || o[kGuard + n * rb + g] != 0xA5) {
      Verdict v;
      v.ok = false;
      v.detail = "the kernel wrote outside the output (guard byte " + std::to_string(o[g] != 0xA5 ? g : kGuard + n * rb + g) + ")";
      return v;
    }
  return compare_rows(out.get() + kGuard, t, idx, 0, int64_t(n), pool);
}

PatternCheck emulate_pattern_check(const HostTable& t, const std::vector<int64_t>& idx, int64_t corrupt_byte, ThreadPool& pool) {
  const uint64_t rb = t.row_bytes(), bytes = idx.size() * rb, seed = t.storage().seed();
  Buffer out = aligned_buffer(bytes + 8, 0);
  for (size_t r = 0; r < idx.size(); ++r) std::memcpy(out.get() + r * rb, t.data() + uint64_t(idx[r]) * rb, rb);
  if (corrupt_byte >= 0 && uint64_t(corrupt_byte) < bytes) out.get()[corrupt_byte] ^= 0x5A;
  PatternCheck c;
  c.output_checksum = host_checksum(out.get(), bytes, pool);
  for (uint64_t w = 0; w < (bytes + 7) / 8; ++w) {  // as each GPU thread does for its words
    const uint64_t want = expected_output_word(seed, idx.data(), rb, bytes, w);
    c.checksum += checksum_term(want, w);
    uint64_t got = 0;
    for (uint64_t k = 8 * w; k < std::min(bytes, 8 * w + 8); ++k) got |= uint64_t(out.get()[k]) << (8 * (k - 8 * w));
    const int b = first_differing_byte(got, want);
    if (b < 8 && c.first_bad_byte < 0) c.first_bad_byte = int64_t(8 * w + uint64_t(b));
  }
  return c;
}

}  // namespace gb
