// Index distributions for a batch: which rows a mini-batch gathers. Generated
// natively (a 1M-index Zipf batch per sample would be slow in JS) from a
// seed, in fixed-size chunks so the result does not depend on thread count.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "thread_pool.h"

namespace gb {

struct Distribution {
  std::string kind = "uniform";  // uniform | sorted | sequential | zipf | hotset | rmat
  double exponent = 1.0;         // zipf
  double hot_fraction = 0.01;    // hotset: share of rows that are hot
  double hot_probability = 0.9;  // hotset: share of accesses that go to them
  // rmat: GraphSAGE-style neighbour sampling over an implicit R-MAT graph
  std::vector<int> fanouts{10, 5};
  double rmat_a = 0.57, rmat_b = 0.19, rmat_c = 0.19;
  double degree = 4;  // scale of the Pareto degree distribution (shape 1.5)
};

void validate(const Distribution& d);
// layout_seed: which rows are hot (the Zipf ranks' rows, the hot set): the scenario's seed, so every index set
// of a point and a cache's warm-up trace agree on them, as mini-batches over one graph do. draw_seed: the draws.
void generate_indices(const Distribution& d, uint64_t rows, uint64_t layout_seed, uint64_t draw_seed, std::vector<int64_t>& out,
                      ThreadPool& pool);
// out as consecutive batches of `batch` indices (out.size() a multiple of it), each its own draws, as a loader
// makes them: for R-MAT each batch holds unique nodes, the others draw independently anyway.
void generate_batches(const Distribution& d, uint64_t rows, uint64_t layout_seed, uint64_t draw_seed, uint64_t batch,
                      std::vector<int64_t>& out, ThreadPool& pool);

}  // namespace gb
