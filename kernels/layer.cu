// A tiled SGEMM with a ReLU, the layer of the training step (layer.h): 64 x 64 output tiles, 256 threads a
// block, each computing a 4 x 4 piece from 16-deep slices of A and W staged in shared memory. Compute-bound
// like a model's dense layers: it needs SMs, which is what a zero-copy gather beside it competes for.
#include <algorithm>

#include "layer.h"

namespace gb {
namespace {

constexpr int kTileM = 64, kTileN = 64, kTileK = 16, kPiece = 4, kThreads = 256;

__global__ void __launch_bounds__(kThreads) layer_kernel(const float* __restrict__ a, const float* __restrict__ w,
                                                         float* __restrict__ c, int64_t rows, int k, int n) {
  __shared__ float as[kTileK][kTileM];
  __shared__ float ws[kTileK][kTileN];
  const int tx = int(threadIdx.x) % (kTileN / kPiece), ty = int(threadIdx.x) / (kTileN / kPiece);
  const int64_t row0 = int64_t(blockIdx.y) * kTileM;
  const int col0 = int(blockIdx.x) * kTileN;
  float acc[kPiece][kPiece] = {};
  for (int k0 = 0; k0 < k; k0 += kTileK) {
    for (int i = int(threadIdx.x); i < kTileM * kTileK; i += kThreads) {
      const int r = i / kTileK, q = i % kTileK;
      const int64_t gr = row0 + r;
      as[q][r] = gr < rows && k0 + q < k ? a[gr * k + k0 + q] : 0.f;
    }
    for (int i = int(threadIdx.x); i < kTileK * kTileN; i += kThreads) {
      const int r = i / kTileN, q = i % kTileN;
      ws[r][q] = k0 + r < k && col0 + q < n ? w[int64_t(k0 + r) * n + col0 + q] : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int q = 0; q < kTileK; ++q) {
      float x[kPiece], y[kPiece];
#pragma unroll
      for (int i = 0; i < kPiece; ++i) x[i] = as[q][ty * kPiece + i];
#pragma unroll
      for (int j = 0; j < kPiece; ++j) y[j] = ws[q][tx * kPiece + j];
#pragma unroll
      for (int i = 0; i < kPiece; ++i)
#pragma unroll
        for (int j = 0; j < kPiece; ++j) acc[i][j] = fmaf(x[i], y[j], acc[i][j]);
    }
    __syncthreads();
  }
  for (int i = 0; i < kPiece; ++i)
    for (int j = 0; j < kPiece; ++j) {
      const int64_t r = row0 + ty * kPiece + i;
      const int q = col0 + tx * kPiece + j;
      if (r < rows && q < n) c[r * n + q] = fmaxf(acc[i][j], 0.f);
    }
}

}  // namespace

cudaError_t load_layer() {
  cudaFuncAttributes a{};
  return cudaFuncGetAttributes(&a, layer_kernel);
}

cudaError_t launch_layer(const float* a, const float* w, float* c, int64_t rows, int k, int n, cudaStream_t stream) {
  const int64_t tiles_m = (rows + kTileM - 1) / kTileM;
  if (rows <= 0 || k <= 0 || n <= 0 || tiles_m > 65535) return cudaErrorInvalidValue;
  const dim3 grid(unsigned((n + kTileN - 1) / kTileN), unsigned(tiles_m));
  layer_kernel<<<grid, kThreads, 0, stream>>>(a, w, c, rows, k, n);
  return cudaGetLastError();
}

}  // namespace gb
