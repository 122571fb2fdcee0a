#include "cache_plan.h"

#include <algorithm>

#include "errors.h"

namespace gb {

// 16 draws per cached row (at least 16 per batch row and 2^20, at most 2^24): a 1% hot set of 33M rows needs
// 5M draws to be seen whole, where 16 x batch saw three quarters of it. R-MAT: whole batches.
uint64_t cache_trace_length(const Distribution& d, uint64_t want, uint64_t batch) {
  uint64_t n = std::min<uint64_t>(std::max<uint64_t>({batch * 16, want * 16, uint64_t(1) << 20}), uint64_t(1) << 24);
  if (d.kind == "rmat") n = std::max<uint64_t>(batch, n / batch * batch);  // whole batches
  return n;
}

CachePlan plan_cache(const Distribution& d, uint64_t rows, uint64_t want, uint64_t batch, uint64_t seed, ThreadPool& pool) {
  if (rows > uint64_t(INT32_MAX)) throw Error("UNSUPPORTED", "the cache map holds 32-bit slots: table of more than 2^31 rows");
  want = std::min(want, rows);
  CachePlan p;
  p.trace = cache_trace_length(d, want, batch);
  std::vector<int64_t> trace(p.trace);
  // as the loader draws it: for R-MAT, batches of unique nodes (one batch as long as the trace would hold
  // every node once, and no count could tell a hot node from a cold one)
  generate_batches(d, rows, seed, seed ^ 0xCAC4E5EEDull, batch, trace, pool);
  // The rows drawn, most often first, ties in row order: a counting sort by count (the count array is
  // no larger than slot_of, which every table gets).
  std::vector<int64_t> ranked;
  {
    std::vector<uint32_t> count(rows, 0);
    uint32_t most = 0;
    for (int64_t r : trace) most = std::max(most, ++count[size_t(r)]);
    std::vector<uint64_t> start(size_t(most) + 2, 0);  // start[c]: where rows drawn c times begin, c from most down
    for (uint32_t c : count)
      if (c) ++start[most - c + 1];
    for (size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
    ranked.resize(start.back());
    for (uint64_t r = 0; r < rows; ++r)
      if (count[r]) ranked[start[most - count[r]]++] = int64_t(r);
  }
  const size_t top = std::min<size_t>(ranked.size(), want);
  p.rows.reserve(want);
  p.slot_of.assign(rows, -1);
  for (size_t i = 0; i < top; ++i) {
    p.slot_of[size_t(ranked[i])] = int32_t(p.rows.size());
    p.rows.push_back(ranked[i]);
  }
  for (uint64_t r = 0; p.rows.size() < want && r < rows; ++r)
    if (p.slot_of[r] < 0) {
      p.slot_of[r] = int32_t(p.rows.size());
      p.rows.push_back(int64_t(r));
    }
  return p;
}

}  // namespace gb
