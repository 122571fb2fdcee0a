#include <atomic>
#include <cstring>

#include "method.h"

namespace gb {

Verdict compare_rows(const uint8_t* out, const HostTable& t, const std::vector<int64_t>& idx, int64_t begin,
                     int64_t end, ThreadPool& pool) {
  const uint64_t rb = t.row_bytes();
  std::atomic<int64_t> first_bad{INT64_MAX};
  pool.parallel_for(end - begin, [&](int64_t b, int64_t e, unsigned) {
    for (int64_t k = begin + b; k < begin + e; ++k) {
      if (std::memcmp(out + uint64_t(k) * rb, t.data() + uint64_t(idx[k]) * rb, rb) != 0) {
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

void make_contiguous(std::vector<int64_t>& idx, uint64_t rows) {
  const int64_t n = int64_t(idx.size());
  int64_t start = idx.empty() ? 0 : idx[0];
  if (uint64_t(start + n) > rows) start = int64_t(rows) - n;
  for (int64_t i = 0; i < n; ++i) idx[i] = start + i;
}

}  // namespace gb
