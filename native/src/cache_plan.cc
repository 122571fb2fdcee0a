#include "cache_plan.h"

#include <algorithm>
#include <unordered_map>

#include "errors.h"

namespace gb {

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
  generate_batches(d, rows, seed, seed ^ 0xCAC4E5EEDull, d.kind == "rmat" ? batch : p.trace, trace, pool);
  // The rows drawn, most often first, ties in row order: a counting sort by count over a dense count
  // array where the table is not too large for one, else a partial sort of the rows drawn.
  std::vector<int64_t> ranked;
  if (rows <= (uint64_t(1) << 27)) {
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
  } else {
    std::unordered_map<int64_t, uint32_t> count;
    count.reserve(trace.size());
    for (int64_t r : trace) ++count[r];
    std::vector<std::pair<uint32_t, int64_t>> drawn;
    drawn.reserve(count.size());
    for (auto& kv : count) drawn.push_back({kv.second, kv.first});
    const size_t top = std::min<size_t>(drawn.size(), want);
    std::partial_sort(drawn.begin(), drawn.begin() + top, drawn.end(),
                      [](auto& a, auto& b) { return a.first != b.first ? a.first > b.first : a.second < b.second; });
    for (size_t i = 0; i < top; ++i) ranked.push_back(drawn[i].second);
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
