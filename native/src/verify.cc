// Verification shared by every method: rows compared with the table's pattern
// (hash.h), and the order-sensitive checksum a correct output has. The expected
// bytes are derived from (seed, offset), never read from the table: reading a
// set's rows on the CPU would leave them in its last-level cache, where a
// later timed PCIe read of the same rows would find them (a warm sample).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "hash.h"
#include "method.h"

namespace gb {

uint64_t full_verify_bytes() {
  const char* s = std::getenv("GATHERBENCH_TEST_FULL_VERIFY_BYTES");  // read at each use: tests lower it per point
  const long long v = s ? std::atoll(s) : 0;
  return v > 0 ? uint64_t(v) : uint64_t(64) << 20;
}

// The rb bytes of the table at byte offset `at`, as its fill wrote them: whole words where the offset is
// aligned, otherwise each word spliced from the two it straddles.
static void expected_bytes(uint64_t seed, uint64_t at, uint64_t rb, uint8_t* dst) {
  const uint64_t shift = 8 * (at % 8), w0 = at / 8;
  for (uint64_t o = 0, w = w0; o < rb; o += 8, ++w) {
    uint64_t word = table_word(seed, w);
    if (shift) word = (word >> shift) | (table_word(seed, w + 1) << (64 - shift));
    std::memcpy(dst + o, &word, std::min<uint64_t>(8, rb - o));
  }
}

Verdict compare_rows(const uint8_t* out, const HostTable& t, const std::vector<int64_t>& idx, int64_t begin,
                     int64_t end, ThreadPool& pool) {
  const uint64_t rb = t.row_bytes(), seed = t.storage().seed();
  std::atomic<int64_t> first_bad{INT64_MAX};
  pool.parallel_for(end - begin, [&](int64_t b, int64_t e, unsigned) {
    std::vector<uint8_t> want(rb + 8);
    for (int64_t k = begin + b; k < begin + e; ++k) {
      expected_bytes(seed, uint64_t(idx[k]) * rb, rb, want.data());
      if (std::memcmp(out + uint64_t(k) * rb, want.data(), rb) != 0) {
        int64_t cur = first_bad.load();
        while (k < cur && !first_bad.compare_exchange_weak(cur, k)) {}
        return;
      }
    }
  });
  Verdict v;
  v.mode = "full";
  v.rows_checked = uint64_t(end - begin);
  if (first_bad.load() != INT64_MAX) {
    v.ok = false;
    v.bad_row = first_bad.load();
    v.detail = "output row " + std::to_string(v.bad_row) + " (table row " + std::to_string(idx[v.bad_row]) +
               ") differs from the table";
  }
  return v;
}

// Splits [0, n) into chunks small enough to balance, summing fn(begin, end).
template <typename Fn>
static uint64_t parallel_sum(uint64_t n, ThreadPool& pool, Fn fn) {
  std::vector<uint64_t> partial(pool.size(), 0);
  pool.parallel_for(int64_t(n), [&](int64_t b, int64_t e, unsigned id) { partial[id] += fn(uint64_t(b), uint64_t(e)); });
  uint64_t sum = 0;
  for (uint64_t p : partial) sum += p;
  return sum;
}

// checksum_term over the whole words of p, numbered from first_word. The sum is
// taken factored (see checksum_key): an xor and an add per word, which the
// compiler vectorizes; about twice the speed of a multiply per word, same value.
static uint64_t sum_words(const uint8_t* p, uint64_t words, uint64_t first_word) {
  uint64_t acc = 0, key = checksum_key(first_word);
  for (uint64_t i = 0; i < words; ++i) {
    uint64_t word;
    std::memcpy(&word, p + 8 * i, 8);
    acc += word ^ key;
    key += kChecksumKeyStep;
  }
  return acc * kChecksumMul;
}

// The tail word of an output whose length is not a multiple of 8.
static uint64_t tail_term(uint64_t bytes, const std::function<uint8_t(uint64_t)>& byte_at) {
  const uint64_t w = bytes / 8;
  if (bytes % 8 == 0) return 0;
  uint64_t word = 0;
  for (uint64_t o = w * 8; o < bytes; ++o) word |= uint64_t(byte_at(o)) << (8 * (o - w * 8));
  return checksum_term(word, w);
}

uint64_t expected_checksum(const HostTable& t, const std::vector<int64_t>& idx, ThreadPool& pool) {
  const uint64_t rb = t.row_bytes(), bytes = idx.size() * rb, seed = t.storage().seed();
  if (rb % 8 == 0) {  // whole words per row, each the pattern's word at the row's offset
    return parallel_sum(idx.size(), pool, [&](uint64_t r0, uint64_t r1) {
      uint64_t acc = 0;
      for (uint64_t r = r0; r < r1; ++r) {
        const uint64_t w0 = uint64_t(idx[r]) * rb / 8;
        uint64_t key = checksum_key(r * rb / 8);
        for (uint64_t i = 0; i < rb / 8; ++i, key += kChecksumKeyStep) acc += table_word(seed, w0 + i) ^ key;
      }
      return acc * kChecksumMul;
    });
  }
  // Rows that are not whole words: the expected bytes of 64 rows at a time (64 rows start on a whole output
  // word), spliced from the pattern's words as compare_rows does, then summed as the output would be.
  constexpr uint64_t kRows = 64;
  const uint64_t n = idx.size();
  return parallel_sum((n + kRows - 1) / kRows, pool, [&](uint64_t p0, uint64_t p1) {
    std::vector<uint8_t> buf(kRows * rb + 8);
    uint64_t acc = 0;
    for (uint64_t p = p0; p < p1; ++p) {
      const uint64_t r0 = p * kRows, r1 = std::min(n, r0 + kRows), at = r0 * rb, piece = (r1 - r0) * rb;
      for (uint64_t r = r0; r < r1; ++r) expected_bytes(seed, uint64_t(idx[r]) * rb, rb, buf.data() + (r - r0) * rb);
      acc += sum_words(buf.data(), piece / 8, at / 8);
      if (r1 == n) acc += tail_term(bytes, [&](uint64_t o) { return buf[o - at]; });  // the output's last partial word
    }
    return acc;
  });
}

uint64_t host_checksum(const uint8_t* p, uint64_t bytes, ThreadPool& pool) {
  return parallel_sum(bytes / 8, pool, [&](uint64_t w0, uint64_t w1) { return sum_words(p + 8 * w0, w1 - w0, w0); }) +
         tail_term(bytes, [&](uint64_t o) { return p[o]; });
}

uint64_t Method::reference_checksum(int, const std::vector<int64_t>& idx, ThreadPool& pool) {
  return expected_checksum(t_, idx, pool);
}

Verdict Method::verify(int, const std::vector<int64_t>& idx, uint64_t reference) {
  const uint64_t rb = t_.row_bytes(), limit = full_verify_bytes();
  const int64_t n = int64_t(idx.size());
  // Compares output rows [r0, r1) as one piece fetched through rows().
  auto piece = [&](int64_t r0, int64_t r1) {
    std::vector<int64_t> part(idx.begin() + r0, idx.begin() + r1);
    Verdict v = compare_rows(rows(r0, r1), t_, part, 0, r1 - r0, pool_);
    if (!v.ok) {
      v.bad_row += r0;
      v.detail = "output row " + std::to_string(v.bad_row) + " (table row " + std::to_string(idx[v.bad_row]) +
                 ") differs from the table";
    }
    return v;
  };
  Verdict v;
  if (out_bytes_ <= limit) {
    v = piece(0, n);
    if (!v.ok) return v;
  } else {
    // Sampled rows: the first, the last, and evenly spread ones in between.
    v.mode = "sampled+checksum";
    for (int i = 0; i < kSampledRows; ++i) {
      const int64_t r = int64_t(uint64_t(i) * uint64_t(n - 1) / (kSampledRows - 1));
      Verdict one = piece(r, r + 1);
      if (!one.ok) return one;
    }
    v.rows_checked = kSampledRows;
  }
  if (checksum() == reference) return v;
  // The checksum disagrees although the rows looked right: scan the whole
  // output in pieces to name the row, or say the checksum itself is off.
  const int64_t per = int64_t(std::max<uint64_t>(1, limit / rb));
  for (int64_t r0 = 0; r0 < n && v.mode != "full"; r0 += per) {
    Verdict p = piece(r0, std::min(n, r0 + per));
    if (!p.ok) return p;
  }
  v.ok = false;
  v.detail = "every row compares equal, but the output's checksum differs from the reference (bytes past the rows "
             "written, or a broken checksum)";
  return v;
}

void make_contiguous(std::vector<int64_t>& idx, uint64_t rows) {
  const int64_t n = int64_t(idx.size());
  int64_t start = idx.empty() ? 0 : idx[0];
  if (uint64_t(start + n) > rows) start = int64_t(rows) - n;
  for (int64_t i = 0; i < n; ++i) idx[i] = start + i;
}

}  // namespace gb
