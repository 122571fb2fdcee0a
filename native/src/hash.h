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

// Output word w (bytes 8w..8w+7; bytes at or past `bytes` are zero, as the checksum reads a partial last
// word) of a gather of rows idx[0..) of row_bytes each: the pattern's bytes at each output byte's table
// offset, derived from (seed, offset) without reading the table. The GPU's check of an output
// (kernels/gather.cu, pattern_check) and its host emulation (verify.cc) both run this.
GB_HD uint64_t expected_output_word(uint64_t seed, const int64_t* idx, uint64_t row_bytes, uint64_t bytes, uint64_t w) {
  uint64_t word = 0, o = 8 * w;
  const uint64_t end = 8 * w + 8 < bytes ? 8 * w + 8 : bytes;
  while (o < end) {  // one piece per output row the word covers
    const uint64_t r = o / row_bytes, j = o % row_bytes;
    const uint64_t len = end - o < row_bytes - j ? end - o : row_bytes - j;
    const uint64_t at = uint64_t(idx[r]) * row_bytes + j, s = at % 8;  // the piece's table byte offset
    uint64_t piece = table_word(seed, at / 8) >> (8 * s);
    if (s && s + len > 8) piece |= table_word(seed, at / 8 + 1) << (64 - 8 * s);
    if (len < 8) piece &= (uint64_t(1) << (8 * len)) - 1;
    word |= piece << (8 * (o - 8 * w));
    o += len;
  }
  return word;
}

// The first byte (0-7) where two words differ; 8 where they are equal.
GB_HD int first_differing_byte(uint64_t a, uint64_t b) {
  const uint64_t x = a ^ b;
  if (!x) return 8;
#if defined(__CUDA_ARCH__)
  return (__ffsll((long long)x) - 1) / 8;
#else
  return __builtin_ctzll(x) / 8;
#endif
}

}  // namespace gb
