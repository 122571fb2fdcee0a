#include "cache_plan.h"

#include <algorithm>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "errors.h"

namespace gb {

// 16 draws per cached row (at least 16 per batch row and 2^20, at most 2^24): a 1% hot set of 33M rows needs
// 5M draws to be seen whole, where 16 x batch saw three quarters of it. R-MAT: whole batches.
uint64_t cache_trace_length(const Distribution& d, uint64_t want, uint64_t batch) {
  uint64_t n = std::min<uint64_t>(std::max<uint64_t>({batch * 16, want * 16, uint64_t(1) << 20}), uint64_t(1) << 24);
  if (d.kind == "rmat") n = std::max<uint64_t>(batch, n / batch * batch);  // whole batches
  return n;
}

// The rows a warm-up trace drew, most often first, ties in row order. Plans of one trace (the distribution,
// table, batch, seed and trace length) rank alike, so the last few rankings are kept: a sweep over cache sizes
// draws and ranks its trace once (0.9 s a plan of a 33M-row table), each size taking its prefix.
static std::shared_ptr<const std::vector<int64_t>> ranked_rows(const Distribution& d, uint64_t rows, uint64_t batch,
                                                               uint64_t seed, uint64_t trace_length, ThreadPool& pool) {
  struct Kept {
    std::string key;
    std::shared_ptr<const std::vector<int64_t>> ranked;
  };
  static std::mutex mu;
  static std::deque<Kept> kept;  // newest first
  constexpr size_t kKept = 2;    // at most 2 x 16M rows (2^24 draws): 256 MiB
  char buf[512];
  snprintf(buf, sizeof buf, "%s %.17g %.17g %.17g %.17g %.17g %.17g %.17g %llu %llu %llu %llu", d.kind.c_str(), d.exponent,
           d.hot_fraction, d.hot_probability, d.rmat_a, d.rmat_b, d.rmat_c, d.degree, (unsigned long long)rows,
           (unsigned long long)batch, (unsigned long long)seed, (unsigned long long)trace_length);
  std::string key = buf;
  for (int f : d.fanouts) key += " " + std::to_string(f);
  {
    std::lock_guard<std::mutex> lock(mu);
    for (const Kept& k : kept)
      if (k.key == key) return k.ranked;
  }
  std::vector<int64_t> trace(trace_length);
  // as the loader draws it: for R-MAT, batches of unique nodes (one batch as long as the trace would hold
  // every node once, and no count could tell a hot node from a cold one)
  generate_batches(d, rows, seed, seed ^ 0xCAC4E5EEDull, batch, trace, pool);
  // A counting sort by count (the count array is no larger than slot_of, which every table gets).
  auto ranked = std::make_shared<std::vector<int64_t>>();
  {
    std::vector<uint32_t> count(rows, 0);
    uint32_t most = 0;
    for (int64_t r : trace) most = std::max(most, ++count[size_t(r)]);
    std::vector<uint64_t> start(size_t(most) + 2, 0);  // start[c]: where rows drawn c times begin, c from most down
    for (uint32_t c : count)
      if (c) ++start[most - c + 1];
    for (size_t i = 1; i < start.size(); ++i) start[i] += start[i - 1];
    ranked->resize(start.back());
    for (uint64_t r = 0; r < rows; ++r)
      if (count[r]) (*ranked)[start[most - count[r]]++] = int64_t(r);
  }
  std::lock_guard<std::mutex> lock(mu);
  kept.push_front({key, ranked});
  if (kept.size() > kKept) kept.pop_back();
  return ranked;
}

CachePlan plan_cache(const Distribution& d, uint64_t rows, uint64_t want, uint64_t batch, uint64_t seed, ThreadPool& pool) {
  if (rows > uint64_t(INT32_MAX)) throw Error("UNSUPPORTED", "the cache map holds 32-bit slots: table of more than 2^31 rows");
  want = std::min(want, rows);
  CachePlan p;
  p.trace = cache_trace_length(d, want, batch);
  std::shared_ptr<const std::vector<int64_t>> ranked = ranked_rows(d, rows, batch, seed, p.trace, pool);
  const size_t top = std::min<size_t>(ranked->size(), want);
  p.rows.reserve(want);
  p.slot_of.assign(rows, -1);
  for (size_t i = 0; i < top; ++i) {
    p.slot_of[size_t((*ranked)[i])] = int32_t(p.rows.size());
    p.rows.push_back((*ranked)[i]);
  }
  for (uint64_t r = 0; p.rows.size() < want && r < rows; ++r)
    if (p.slot_of[r] < 0) {
      p.slot_of[r] = int32_t(p.rows.size());
      p.rows.push_back(int64_t(r));
    }
  return p;
}

std::string miss_repeats(const std::vector<int64_t>& idx, const std::vector<int32_t>& slot_of) {
  std::vector<int64_t> missed;
  for (int64_t r : idx)
    if (slot_of[size_t(r)] < 0) missed.push_back(r);
  std::sort(missed.begin(), missed.end());
  std::map<uint64_t, uint64_t> rows_named;  // times named -> distinct rows named that often
  for (size_t i = 0; i < missed.size();) {
    size_t j = i;
    while (j < missed.size() && missed[j] == missed[i]) ++j;
    ++rows_named[j - i];
    i = j;
  }
  std::string out;
  for (const auto& [times, n] : rows_named) out += (out.empty() ? "" : " ") + std::to_string(times) + ":" + std::to_string(n);
  return out;
}

}  // namespace gb
