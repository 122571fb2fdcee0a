// Where host-memory setup goes on a GPU machine: cudaHostAlloc against malloc + parallel first touch +
// cudaHostRegister (4 KB and transparent huge pages), their release, and moving a managed table back to host
// memory (uvm's per-point reset). Measured once per machine; not part of the harness.
//   nvcc -O2 -o /tmp/alloc-cost scripts/host-alloc-cost.cu && /tmp/alloc-cost 8   (GiB)
#include <cuda_runtime.h>
#include <sys/mman.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <vector>
using clk = std::chrono::steady_clock;
static double since(clk::time_point t) { return std::chrono::duration<double>(clk::now() - t).count(); }
static void par_fill(unsigned char* p, size_t n, int T) {
  std::vector<std::thread> th;
  for (int i = 0; i < T; ++i) th.emplace_back([=] { size_t lo = n / T * i, hi = i == T - 1 ? n : n / T * (i + 1);
    unsigned long long* w = (unsigned long long*)(p + lo); for (size_t k = 0; k < (hi - lo) / 8; ++k) w[k] = k * 0x9E3779B97F4A7C15ull; });
  for (auto& t : th) t.join();
}
int main(int argc, char** argv) {
  size_t gib = argc > 1 ? atol(argv[1]) : 8; size_t n = gib << 30; int T = std::thread::hardware_concurrency();
  cudaFree(0);
  auto t = clk::now(); unsigned char* a; cudaHostAlloc((void**)&a, n, cudaHostAllocMapped | cudaHostAllocPortable); double ha = since(t);
  t = clk::now(); par_fill(a, n, T); double hf = since(t);
  t = clk::now(); cudaFreeHost(a); double hr = since(t);
  printf("%zu GiB cudaHostAlloc %.3f s, fill (%d threads) %.3f s, cudaFreeHost %.3f s\n", gib, ha, T, hf, hr);
  t = clk::now(); unsigned char* b = (unsigned char*)aligned_alloc(4096, n); double ma = since(t);
  t = clk::now(); par_fill(b, n, T); double mf = since(t);
  t = clk::now(); cudaError_t e = cudaHostRegister(b, n, cudaHostRegisterMapped | cudaHostRegisterPortable); double mr = since(t);
  t = clk::now(); cudaHostUnregister(b); double mu = since(t); t = clk::now(); free(b); double mfree = since(t);
  printf("%zu GiB aligned_alloc %.3f s, first-touch fill %.3f s, cudaHostRegister %.3f s (%s), unregister %.3f s, free %.3f s\n", gib, ma, mf, mr, cudaGetErrorString(e), mu, mfree);
  t = clk::now(); void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0); madvise(p, n, MADV_HUGEPAGE);
  par_fill((unsigned char*)p, n, T); double tf = since(t);
  t = clk::now(); e = cudaHostRegister(p, n, cudaHostRegisterMapped | cudaHostRegisterPortable); double tr = since(t);
  t = clk::now(); cudaHostUnregister(p); munmap(p, n); double tu = since(t);
  printf("%zu GiB THP mmap+fill %.3f s, cudaHostRegister %.3f s (%s), unregister+munmap %.3f s\n", gib, tf, tr, cudaGetErrorString(e), tu);
  // managed: the uvm reset, a prefetch to host after the table migrated
  void* m; cudaMallocManaged(&m, n); par_fill((unsigned char*)m, n, T);
  cudaStream_t s; cudaStreamCreate(&s);
  t = clk::now(); cudaMemPrefetchAsync(m, n, cudaMemLocation{cudaMemLocationTypeDevice, 0}, 0, s); cudaStreamSynchronize(s); double pd = since(t);
  t = clk::now(); cudaMemPrefetchAsync(m, n, cudaMemLocation{cudaMemLocationTypeHost, 0}, 0, s); cudaStreamSynchronize(s); double ph = since(t);
  t = clk::now(); cudaMemPrefetchAsync(m, n, cudaMemLocation{cudaMemLocationTypeHost, 0}, 0, s); cudaStreamSynchronize(s); double ph2 = since(t);
  printf("%zu GiB managed: prefetch to GPU %.3f s, back to host %.3f s, again (already there) %.3f s\n", gib, pd, ph, ph2);
  cudaFree(m);
  return 0;
}
