// The table's contents are a pure function of (seed, byte offset): any byte can
// be re-derived without the table, and no two rows look alike, so a wrong row
// index or an unwritten output can never pass verification by coincidence of
// zeros.
#pragma once
#include <cstdint>

namespace gb {

#if defined(__CUDACC__)
#define GB_HD __host__ __device__ __forceinline__
#else
#define GB_HD inline
#endif

GB_HD uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Word w of the table (bytes 8w..8w+7).
GB_HD uint64_t table_word(uint64_t seed, uint64_t w) { return mix64(seed ^ (w * 0xD6E8FEB86659FD93ull)); }

// Contribution of output word w to the order-sensitive checksum (a sum, so
// threads can add their parts in any order): the word xor a key of its
// position, times an odd constant. A wrong, missing or displaced word changes
// the sum except by an arithmetic coincidence. Multiplication distributes over
// the sum (mod 2^64), so a long run of words can be summed as
// kChecksumMul * sum(word ^ checksum_key(w)), an xor and an add per word: the
// same value, computed faster (verify.cc's host checksum does).
constexpr uint64_t kChecksumKeyStep = 0x9E3779B97F4A7C15ull;
constexpr uint64_t kChecksumMul = 0xD6E8FEB86659FD93ull;

GB_HD uint64_t checksum_key(uint64_t w) { return w * kChecksumKeyStep; }

GB_HD uint64_t checksum_term(uint64_t word, uint64_t w) { return (word ^ checksum_key(w)) * kChecksumMul; }

}  // namespace gb
