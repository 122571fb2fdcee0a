// What the CUDA runtime reports about this machine; empty in a CPU-only build.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gb {

struct DeviceInfo {
  int index = 0;
  std::string name, pci_bus_id, uuid;
  int cc_major = 0, cc_minor = 0, sms = 0;
  uint64_t total_memory = 0, free_memory = 0, l2_bytes = 0;
  bool can_map_host = false, managed = false, concurrent_managed = false, pageable_access = false;
  int pcie_gen_hint = 0;
};

struct CudaInfo {
  bool built = false;
  bool available = false;
  std::string reason;  // why not available
  int runtime_version = 0, driver_version = 0;
  std::vector<DeviceInfo> devices;
};

CudaInfo query_cuda();

}  // namespace gb
