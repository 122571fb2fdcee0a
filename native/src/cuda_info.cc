#include "cuda_info.h"

#ifdef GATHERBENCH_HAVE_CUDA
#include <cuda_runtime_api.h>

#include <cstdio>
#endif

namespace gb {

#ifndef GATHERBENCH_HAVE_CUDA
CudaInfo query_cuda() {
  CudaInfo info;
  info.reason = "addon built without CUDA (no CUDA compiler was found at install time)";
  return info;
}
#else
CudaInfo query_cuda() {
  CudaInfo info;
  info.built = true;
  cudaRuntimeGetVersion(&info.runtime_version);
  cudaDriverGetVersion(&info.driver_version);
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    if (e == cudaErrorInsufficientDriver && info.driver_version == 0) info.reason = "no CUDA driver on this machine";
    else if (e != cudaSuccess) info.reason = std::string("no CUDA device: ") + cudaGetErrorString(e);
    else info.reason = "no CUDA device";
    cudaGetLastError();
    return info;
  }
  info.available = true;
  for (int d = 0; d < n; ++d) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, d) != cudaSuccess) continue;
    DeviceInfo di;
    di.index = d;
    di.name = p.name;
    di.cc_major = p.major;
    di.cc_minor = p.minor;
    di.sms = p.multiProcessorCount;
    di.total_memory = p.totalGlobalMem;
    di.l2_bytes = uint64_t(p.l2CacheSize);
    di.can_map_host = p.canMapHostMemory;
    di.managed = p.managedMemory;
    di.concurrent_managed = p.concurrentManagedAccess;
    di.pageable_access = p.pageableMemoryAccess;
    char bus[32] = {0};
    if (cudaDeviceGetPCIBusId(bus, sizeof bus, d) == cudaSuccess) di.pci_bus_id = bus;
    char uuid[64];
    const unsigned char* u = reinterpret_cast<const unsigned char*>(p.uuid.bytes);
    snprintf(uuid, sizeof uuid, "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    di.uuid = uuid;
    size_t free_b = 0, total_b = 0;
    // Blocking sync, set as the context is created (cudaSetDevice creates it
    // since CUDA 12): a thread waiting on the GPU sleeps instead of spinning,
    // so CPU-time figures count work, not waiting.
    if (cudaInitDevice(d, cudaDeviceScheduleBlockingSync, 0) != cudaSuccess) cudaGetLastError();
    if (cudaSetDevice(d) == cudaSuccess && cudaMemGetInfo(&free_b, &total_b) == cudaSuccess) di.free_memory = free_b;
    cudaGetLastError();
    info.devices.push_back(di);
  }
  cudaSetDevice(0);
  return info;
}
#endif

}  // namespace gb
