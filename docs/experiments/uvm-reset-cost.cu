// What uvm's per-point reset costs and whether it can cost less: a managed table is faulted in by the GPU
// (a kernel reading one byte of every 4 KB page, as a gather that touched every page would), then moved back
// to host memory by cudaMemPrefetchAsync in one call (the harness's reset), split over K threads each with its
// own stream, or replaced (free, cudaMallocManaged, fill on every core). Measured once per machine; not part
// of the harness.
//   nvcc -O2 -o /tmp/uvm-reset scripts/uvm-reset-cost.cu && /tmp/uvm-reset 8   (GiB)
#include <cuda_runtime.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>
using clk = std::chrono::steady_clock;
static double since(clk::time_point t) { return std::chrono::duration<double>(clk::now() - t).count(); }
static void ok(cudaError_t e, const char* what) {
  if (e != cudaSuccess) { fprintf(stderr, "%s: %s\n", what, cudaGetErrorString(e)); exit(1); }
}
__global__ void touch(const unsigned char* p, size_t pages, unsigned* sink) {
  unsigned acc = 0;
  for (size_t i = blockIdx.x * size_t(blockDim.x) + threadIdx.x; i < pages; i += size_t(gridDim.x) * blockDim.x)
    acc += p[i * 4096];
  if (acc == 0x12345678u) *sink = acc;
}
static void par_fill(unsigned char* p, size_t n, int T) {
  std::vector<std::thread> th;
  for (int i = 0; i < T; ++i) th.emplace_back([=] { size_t lo = n / T * i, hi = i == T - 1 ? n : n / T * (i + 1);
    unsigned long long* w = (unsigned long long*)(p + lo); for (size_t k = 0; k < (hi - lo) / 8; ++k) w[k] = k * 0x9E3779B97F4A7C15ull; });
  for (auto& t : th) t.join();
}
static double fault_in(unsigned char* m, size_t n, unsigned* sink) {
  auto t = clk::now();
  touch<<<1024, 256>>>(m, n / 4096, sink);
  ok(cudaDeviceSynchronize(), "touch");
  return since(t);
}
// Moves [m, m+n) to host memory from K threads, each prefetching its contiguous share on its own stream.
static double back_to_host(unsigned char* m, size_t n, int K) {
  auto t = clk::now();
  std::vector<std::thread> th;
  for (int i = 0; i < K; ++i) th.emplace_back([=] {
    const size_t share = (n / K) & ~size_t(0x1FFFFF), lo = share * i, hi = i == K - 1 ? n : lo + share;  // 2 MiB blocks
    cudaStream_t s; ok(cudaStreamCreate(&s), "stream");
    ok(cudaMemPrefetchAsync(m + lo, hi - lo, cudaMemLocation{cudaMemLocationTypeHost, 0}, 0, s), "prefetch");
    ok(cudaStreamSynchronize(s), "prefetch sync"); cudaStreamDestroy(s); });
  for (auto& x : th) x.join();
  return since(t);
}
int main(int argc, char** argv) {
  size_t n = size_t(argc > 1 ? atol(argv[1]) : 8) << 30; int T = std::thread::hardware_concurrency();
  unsigned* sink; ok(cudaMalloc(&sink, 4), "sink");
  unsigned char* m; ok(cudaMallocManaged(&m, n), "managed");
  auto t = clk::now(); par_fill(m, n, T); printf("fill %zu GiB managed on %d threads: %.3f s\n", n >> 30, T, since(t));
  for (int round = 0; round < 2; ++round)
    for (int K : {1, 4, 16}) {
      double f = fault_in(m, n, sink);
      double b = back_to_host(m, n, K);
      double again = fault_in(m, n, sink);  // the next point's first runs: did the pages come back to the host?
      back_to_host(m, n, 1);  // `again` left it on the GPU: back, untimed, for the next variant
      printf("round %d: fault-in %.3f s, back to host with %2d thread(s) %.3f s, fault-in again %.3f s\n", round, f, K, b, again);
    }
  double f = fault_in(m, n, sink);
  t = clk::now(); ok(cudaFree(m), "free"); ok(cudaMallocManaged(&m, n), "managed"); par_fill(m, n, T);
  double r = since(t);
  printf("fault-in %.3f s, then free + cudaMallocManaged + fill on %d threads %.3f s, fault-in again %.3f s\n", f, T, r, fault_in(m, n, sink));
  return 0;
}
