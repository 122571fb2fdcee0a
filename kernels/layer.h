// The model's layer in a synthetic training step (native/src/training_step.cc): one dense layer on the
// gathered batch, C = relu(A x W), A the batch's features (rows x k fp32), W (k x n), C (rows x n). An own
// tiled SGEMM: cuBLAS would add its static library's size to every bundle for one call.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace gb {

// Loads the layer's kernel now. CUDA loads modules lazily, at a kernel's first launch, and a load waits for
// the kernels running: a first launch queued behind a held launch gate would wait for the gate's timeout.
cudaError_t load_layer();

// Queues the layer on `stream`; its FLOPs are 2 x rows x k x n.
cudaError_t launch_layer(const float* a, const float* w, float* c, int64_t rows, int k, int n, cudaStream_t stream);

}  // namespace gb
