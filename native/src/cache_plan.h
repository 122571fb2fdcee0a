// Which rows a GPU hot-row cache holds (cached-zerocopy): the rows drawn most
// often in a warm-up trace of the point's distribution (its own draws, the
// scenario's hot rows), then rows the trace never drew, in row order, until
// the cache is full. Host code, so it is tested without a GPU.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "indices.h"
#include "thread_pool.h"

namespace gb {

struct CachePlan {
  std::vector<int64_t> rows;     // slot -> table row
  std::vector<int32_t> slot_of;  // table row -> slot, or -1
  uint64_t trace = 0;            // warm-up draws it was chosen from
};

CachePlan plan_cache(const Distribution& d, uint64_t rows, uint64_t want, uint64_t batch, uint64_t seed, ThreadPool& pool);

// How many warm-up draws a plan of `want` rows ranks them by. Plans of the same trace rank the same rows the same
// way, so the smaller is a prefix of the larger (the explanatory model plans once for such points).
uint64_t cache_trace_length(const Distribution& d, uint64_t want, uint64_t batch);

// The index set's misses of a cache, as "times:rows ..." (how many distinct uncached rows the set names that
// many times), ascending: what the explanatory model needs of a cached point, recorded when it is measured so
// a report need not plan the cache again.
std::string miss_repeats(const std::vector<int64_t>& idx, const std::vector<int32_t>& slot_of);

}  // namespace gb
