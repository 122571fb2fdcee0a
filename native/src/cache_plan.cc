#include "cache_plan.h"

#include <algorithm>
#include <unordered_map>

#include "errors.h"

namespace gb {

uint64_t cache_trace_length(const Distribution& d, uint64_t rows, uint64_t want, uint64_t batch) {
  uint64_t n = std::min<uint64_t>(std::max<uint64_t>({batch * 16, want * 16, uint64_t(1) << 20}), uint64_t(1) << 24);
  if (d.kind == "rmat") n = std::min(n, rows / 2);  // an R-MAT batch draws unique nodes: at most half the table
  return n;
}

CachePlan plan_cache(const Distribution& d, uint64_t rows, uint64_t want, uint64_t batch, uint64_t seed, ThreadPool& pool) {
  if (rows > uint64_t(INT32_MAX)) throw Error("UNSUPPORTED", "the cache map holds 32-bit slots: table of more than 2^31 rows");
  want = std::min(want, rows);
  CachePlan p;
  p.trace = cache_trace_length(d, rows, want, batch);
  std::vector<int64_t> trace(p.trace);
  generate_indices(d, rows, seed, seed ^ 0xCAC4E5EEDull, trace, pool);
  // (count, row) of every row drawn; a dense count array where the table is not too large for one
  std::vector<std::pair<uint32_t, int64_t>> ranked;
  if (rows <= (uint64_t(1) << 27)) {
    std::vector<uint32_t> count(rows, 0);
    for (int64_t r : trace) ++count[size_t(r)];
    for (uint64_t r = 0; r < rows; ++r)
      if (count[r]) ranked.push_back({count[r], int64_t(r)});
  } else {
    std::unordered_map<int64_t, uint32_t> count;
    count.reserve(trace.size());
    for (int64_t r : trace) ++count[r];
    ranked.reserve(count.size());
    for (auto& kv : count) ranked.push_back({kv.second, kv.first});
  }
  const size_t top = std::min<size_t>(ranked.size(), want);
  std::partial_sort(ranked.begin(), ranked.begin() + top, ranked.end(),
                    [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
  p.rows.reserve(want);
  p.slot_of.assign(rows, -1);
  for (size_t i = 0; i < top; ++i) {
    p.slot_of[size_t(ranked[i].second)] = int32_t(p.rows.size());
    p.rows.push_back(ranked[i].second);
  }
  for (uint64_t r = 0; p.rows.size() < want && r < rows; ++r)
    if (p.slot_of[r] < 0) {
      p.slot_of[r] = int32_t(p.rows.size());
      p.rows.push_back(int64_t(r));
    }
  return p;
}

}  // namespace gb
