// NVML, loaded with dlopen at run time: the addon has no link-time
// dependency on the driver, so it still loads where there is none, and every
// reading that cannot be taken says why.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gb {

struct NvmlStatic {
  std::string name, uuid, driver;
  int pcie_gen_max = -1, pcie_width_max = -1, pcie_gen = -1, pcie_width = -1;
  int ecc = -1;  // 1 on, 0 off, -1 unknown
  double power_limit_w = -1;
  int sm_clock_max = -1, mem_clock_max = -1;
};

struct NvmlSample {
  double power_w = -1;
  double energy_j = -1;  // total energy counter since driver load
  int sm_clock = -1, mem_clock = -1, gpu_util = -1, mem_util = -1, temp_c = -1;
  double pcie_tx_bps = -1, pcie_rx_bps = -1;
  int pcie_gen = -1, pcie_width = -1;
  int64_t throttle = -1;  // clocks event reasons bit mask
};

class Nvml {
 public:
  static Nvml& get();
  bool available() const { return ok_; }
  const std::string& reason() const { return reason_; }
  // uuid: "GPU-..." as CUDA reports it (maps CUDA ordinals to NVML devices).
  NvmlStatic static_info(const std::string& uuid);
  // The PCIe throughput query blocks ~20 ms: call from a worker thread.
  NvmlSample sample(const std::string& uuid, bool with_pcie);
  double energy_j(const std::string& uuid);

 private:
  Nvml();
  void* device(const std::string& uuid);
  bool ok_ = false;
  std::string reason_;
};

}  // namespace gb
