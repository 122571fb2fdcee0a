#include "indices.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "errors.h"
#include "hash.h"

namespace gb {
namespace {

constexpr int64_t kChunk = 1 << 16;

// xoshiro256** seeded through splitmix64.
struct Rng {
  uint64_t s[4];
  explicit Rng(uint64_t seed) {
    for (auto& x : s) x = mix64(seed += 0x9E3779B97F4A7C15ull);
  }
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t next() {
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
  }
  uint64_t below(uint64_t n) { return uint64_t((unsigned __int128)next() * n >> 64); }
  double unit() { return double(next() >> 11) * 0x1.0p-53; }
};

// Rejection-inversion Zipf sampler over ranks 1..n (Hoermann & Derflinger
// 1996, as in Apache Commons' RejectionInversionZipfSampler): O(1) per draw.
class Zipf {
 public:
  Zipf(uint64_t n, double s) : n_(double(n)), s_(s) {
    h_x1_ = h_integral(1.5) - 1.0;
    h_n_ = h_integral(n_ + 0.5);
    shift_ = 2.0 - h_integral_inverse(h_integral(2.5) - h(2.0));
  }
  uint64_t operator()(Rng& rng) const {
    for (;;) {
      double u = h_n_ + rng.unit() * (h_x1_ - h_n_);
      double x = h_integral_inverse(u);
      double k = std::floor(x + 0.5);
      k = std::min(std::max(k, 1.0), n_);
      if (k - x <= shift_ || u >= h_integral(k + 0.5) - h(k)) return uint64_t(k);
    }
  }

 private:
  static double helper1(double x) { return std::abs(x) > 1e-8 ? std::log1p(x) / x : 1 - x * (0.5 - x / 3); }
  static double helper2(double x) { return std::abs(x) > 1e-8 ? std::expm1(x) / x : 1 + x * 0.5 * (1 + x / 3); }
  double h(double x) const { return std::exp(-s_ * std::log(x)); }
  double h_integral(double x) const {
    double lx = std::log(x);
    return helper2((1 - s_) * lx) * lx;
  }
  double h_integral_inverse(double x) const {
    double t = std::max(x * (1 - s_), -1.0);
    return std::exp(helper1(t) * x);
  }
  double n_, s_, h_x1_, h_n_, shift_;
};

// A bijection on [0, rows) so that popular ranks land scattered over the
// table, as hot vertices do in a real feature table.
struct Scatter {
  uint64_t rows, mul, add;
  explicit Scatter(uint64_t n, uint64_t seed) : rows(n), add(mix64(seed) % n) {
    mul = (0x9E3779B97F4A7C15ull % n) | 1;
    while (std::gcd(mul, n) != 1) mul += 2;
    mul %= n;
    if (mul == 0) mul = 1;
  }
  uint64_t operator()(uint64_t r) const { return uint64_t(((unsigned __int128)r * mul + add) % rows); }
};

// An implicit power-law graph: node v has a Pareto-distributed degree and its
// k-th neighbour is an R-MAT-skewed node fixed by (v, k), scattered over the
// table. Nothing is stored, so any table size works.
class RmatGraph {
 public:
  RmatGraph(const Distribution& d, uint64_t rows) : d_(d), rows_(rows), scatter_(rows, 0x6a09e667f3bcc908ull) {
    while ((1ull << bits_) < rows) ++bits_;
    p0_ = d.rmat_a + d.rmat_c;  // probability that a destination bit is 0
  }
  uint64_t degree(uint64_t v) const {
    const double u = std::max(1e-12, double(mix64(v ^ 0xde6ee5ull) >> 11) * 0x1.0p-53);
    return uint64_t(std::min(1e5, std::max(1.0, std::floor(d_.degree * std::pow(u, -1.0 / 1.5)))));
  }
  uint64_t neighbour(uint64_t v, uint64_t k) const {
    for (uint64_t attempt = 0;; ++attempt) {
      uint64_t s = mix64(v * 0x9E3779B97F4A7C15ull + k * 0xC2B2AE3D27D4EB4Full + attempt), node = 0;
      for (int b = 0; b < bits_; ++b) {
        s = mix64(s);
        node = (node << 1) | (double(s >> 11) * 0x1.0p-53 >= p0_ ? 1u : 0u);
      }
      if (node < rows_) return scatter_(node);
    }
  }

 private:
  const Distribution& d_;
  uint64_t rows_;
  Scatter scatter_;
  int bits_ = 0;
  double p0_;
};

// Seeds drawn uniformly; for each, fanouts[l] neighbours of every frontier
// node per layer; the batch is the unique nodes visited, as a GNN loader
// gathers each node's features once.
void sample_neighbourhoods(const Distribution& d, uint64_t rows, uint64_t seed, std::vector<int64_t>& out) {
  const RmatGraph g(d, rows);
  Rng rng(mix64(seed));
  std::unordered_set<uint64_t> seen;
  seen.reserve(out.size() * 2);
  size_t count = 0;
  auto add = [&](uint64_t v) {
    if (count < out.size() && seen.insert(v).second) out[count++] = int64_t(v);
  };
  std::vector<uint64_t> frontier, next;
  while (count < out.size()) {
    const uint64_t s = rng.below(rows);
    add(s);
    frontier.assign(1, s);
    for (int fan : d.fanouts) {
      next.clear();
      for (uint64_t v : frontier)
        for (int j = 0; j < fan; ++j) {
          const uint64_t u = g.neighbour(v, rng.below(g.degree(v)));
          add(u);
          next.push_back(u);
        }
      frontier.swap(next);
    }
  }
}

}  // namespace

void validate(const Distribution& d) {
  static const char* kinds[] = {"uniform", "sorted", "sequential", "zipf", "hotset", "rmat"};
  if (std::find(std::begin(kinds), std::end(kinds), d.kind) == std::end(kinds))
    throw Error("BAD_ARGUMENT", "unknown index distribution '" + d.kind + "'");
  if (d.kind == "zipf" && !(d.exponent > 0)) throw Error("BAD_ARGUMENT", "zipf exponent must be > 0");
  if (d.kind == "hotset" && !(d.hot_fraction > 0 && d.hot_fraction <= 1 && d.hot_probability >= 0 &&
                              d.hot_probability <= 1))
    throw Error("BAD_ARGUMENT", "hotset needs 0 < fraction <= 1 and 0 <= probability <= 1");
  if (d.kind == "rmat") {
    if (d.fanouts.empty() || d.fanouts.size() > 4 || std::any_of(d.fanouts.begin(), d.fanouts.end(), [](int f) { return f < 1 || f > 100; }))
      throw Error("BAD_ARGUMENT", "rmat needs 1 to 4 fanouts, each 1 to 100");
    if (!(d.rmat_a > 0 && d.rmat_b >= 0 && d.rmat_c >= 0 && d.rmat_a + d.rmat_b + d.rmat_c < 1))
      throw Error("BAD_ARGUMENT", "rmat needs a > 0, b, c >= 0 and a + b + c < 1");
    if (!(d.degree >= 1)) throw Error("BAD_ARGUMENT", "rmat degree must be >= 1");
  }
}

void generate_indices(const Distribution& d, uint64_t rows, uint64_t layout_seed, uint64_t seed, std::vector<int64_t>& out,
                      ThreadPool& pool) {
  validate(d);
  if (rows == 0) throw Error("BAD_ARGUMENT", "cannot draw indices from an empty table");
  const int64_t n = int64_t(out.size());
  if (d.kind == "rmat") {
    if (uint64_t(n) > rows / 2)
      throw Error("BAD_ARGUMENT", "rmat batches are unique nodes: batch " + std::to_string(n) + " needs a table of at least " +
                                      std::to_string(2 * n) + " rows (has " + std::to_string(rows) + ")");
    sample_neighbourhoods(d, rows, seed, out);
    return;
  }
  if (d.kind == "sequential") {
    uint64_t start = mix64(seed) % rows;
    for (int64_t i = 0; i < n; ++i) out[i] = int64_t((start + uint64_t(i)) % rows);
    return;
  }
  const Scatter scatter(rows, layout_seed ^ 0x5ca77e5ull);
  const Zipf zipf(rows, d.kind == "zipf" ? d.exponent : 1.0);
  const uint64_t hot_rows = std::max<uint64_t>(1, uint64_t(std::ceil(d.hot_fraction * double(rows))));
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  pool.parallel_for(chunks, [&](int64_t cb, int64_t ce, unsigned) {
    for (int64_t c = cb; c < ce; ++c) {
      Rng rng(mix64(seed) ^ mix64(uint64_t(c) + 1));
      for (int64_t i = c * kChunk, e = std::min(n, i + kChunk); i < e; ++i) {
        uint64_t r;
        if (d.kind == "zipf") r = scatter(zipf(rng) - 1);
        else if (d.kind == "hotset") r = rng.unit() < d.hot_probability ? scatter(rng.below(hot_rows)) : rng.below(rows);
        else r = rng.below(rows);
        out[i] = int64_t(r);
      }
    }
  });
  if (d.kind == "sorted") std::sort(out.begin(), out.end());
}

void generate_batches(const Distribution& d, uint64_t rows, uint64_t layout_seed, uint64_t draw_seed, uint64_t batch,
                      std::vector<int64_t>& out, ThreadPool& pool) {
  if (d.kind != "rmat") return generate_indices(d, rows, layout_seed, draw_seed, out, pool);
  if (batch == 0 || out.size() % batch != 0) throw Error("BAD_ARGUMENT", "a trace of whole batches");
  std::vector<int64_t> first(batch);
  generate_indices(d, rows, layout_seed, draw_seed, first, pool);  // validates the distribution and the batch
  std::copy(first.begin(), first.end(), out.begin());
  pool.parallel_for(int64_t(out.size() / batch) - 1, [&](int64_t b, int64_t e, unsigned) {
    std::vector<int64_t> one(batch);
    for (int64_t i = b; i < e; ++i) {
      sample_neighbourhoods(d, rows, mix64(draw_seed + uint64_t(i) + 1), one);
      std::copy(one.begin(), one.end(), out.begin() + (i + 1) * int64_t(batch));
    }
  });
}

}  // namespace gb
