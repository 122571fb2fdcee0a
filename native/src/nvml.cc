#include "nvml.h"

#include <dlfcn.h>

#include <mutex>

namespace gb {
namespace {

using Ret = int;  // nvmlReturn_t; 0 is success
using Dev = void*;
struct Utilization { unsigned gpu, memory; };

struct Api {
  Ret (*init)() = nullptr;
  const char* (*error_string)(Ret) = nullptr;
  Ret (*by_uuid)(const char*, Dev*) = nullptr;
  Ret (*name)(Dev, char*, unsigned) = nullptr;
  Ret (*driver)(char*, unsigned) = nullptr;
  Ret (*power)(Dev, unsigned*) = nullptr;
  Ret (*energy)(Dev, unsigned long long*) = nullptr;
  Ret (*clock)(Dev, int, unsigned*) = nullptr;
  Ret (*max_clock)(Dev, int, unsigned*) = nullptr;
  Ret (*util)(Dev, Utilization*) = nullptr;
  Ret (*temp)(Dev, int, unsigned*) = nullptr;
  Ret (*pcie_tput)(Dev, int, unsigned*) = nullptr;
  Ret (*gen)(Dev, unsigned*) = nullptr;
  Ret (*gen_max)(Dev, unsigned*) = nullptr;
  Ret (*width)(Dev, unsigned*) = nullptr;
  Ret (*width_max)(Dev, unsigned*) = nullptr;
  Ret (*ecc)(Dev, int*, int*) = nullptr;
  Ret (*power_limit)(Dev, unsigned*) = nullptr;
  Ret (*reasons)(Dev, unsigned long long*) = nullptr;
} api;

std::mutex mu;  // NVML is thread-safe, our lazy state is not

template <typename F>
void bind(void* lib, F& f, const char* name, const char* alt = nullptr) {
  void* p = dlsym(lib, name);
  if (!p && alt) p = dlsym(lib, alt);
  f = reinterpret_cast<F>(p);
}

constexpr int kClockSm = 1, kClockMem = 2, kTempGpu = 0, kPcieTx = 0, kPcieRx = 1;

}  // namespace

Nvml& Nvml::get() {
  static Nvml n;
  return n;
}

Nvml::Nvml() {
  void* lib = dlopen("libnvidia-ml.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    reason_ = "NVML library not found (libnvidia-ml.so.1 ships with the NVIDIA driver)";
    return;
  }
  bind(lib, api.init, "nvmlInit_v2", "nvmlInit");
  bind(lib, api.error_string, "nvmlErrorString");
  bind(lib, api.by_uuid, "nvmlDeviceGetHandleByUUID");
  bind(lib, api.name, "nvmlDeviceGetName");
  bind(lib, api.driver, "nvmlSystemGetDriverVersion");
  bind(lib, api.power, "nvmlDeviceGetPowerUsage");
  bind(lib, api.energy, "nvmlDeviceGetTotalEnergyConsumption");
  bind(lib, api.clock, "nvmlDeviceGetClockInfo");
  bind(lib, api.max_clock, "nvmlDeviceGetMaxClockInfo");
  bind(lib, api.util, "nvmlDeviceGetUtilizationRates");
  bind(lib, api.temp, "nvmlDeviceGetTemperature");
  bind(lib, api.pcie_tput, "nvmlDeviceGetPcieThroughput");
  bind(lib, api.gen, "nvmlDeviceGetCurrPcieLinkGeneration");
  bind(lib, api.gen_max, "nvmlDeviceGetMaxPcieLinkGeneration");
  bind(lib, api.width, "nvmlDeviceGetCurrPcieLinkWidth");
  bind(lib, api.width_max, "nvmlDeviceGetMaxPcieLinkWidth");
  bind(lib, api.ecc, "nvmlDeviceGetEccMode");
  bind(lib, api.power_limit, "nvmlDeviceGetEnforcedPowerLimit");
  bind(lib, api.reasons, "nvmlDeviceGetCurrentClocksEventReasons", "nvmlDeviceGetCurrentClocksThrottleReasons");
  if (!api.init || !api.by_uuid) {
    reason_ = "NVML library lacks nvmlInit/nvmlDeviceGetHandleByUUID";
    return;
  }
  Ret r = api.init();
  if (r != 0) {
    reason_ = std::string("nvmlInit failed: ") + (api.error_string ? api.error_string(r) : std::to_string(r));
    return;
  }
  ok_ = true;
}

void* Nvml::device(const std::string& uuid) {
  if (!ok_) return nullptr;
  Dev d = nullptr;
  return api.by_uuid(uuid.c_str(), &d) == 0 ? d : nullptr;
}

template <typename T, typename F, typename... A>
static T read_or(T def, F f, A... a) {
  if (!f) return def;
  unsigned v = 0;
  return f(a..., &v) == 0 ? T(v) : def;
}

NvmlStatic Nvml::static_info(const std::string& uuid) {
  std::lock_guard<std::mutex> lock(mu);
  NvmlStatic s;
  Dev d = device(uuid);
  if (!d) return s;
  char buf[96] = {0};
  if (api.name && api.name(d, buf, sizeof buf) == 0) s.name = buf;
  if (api.driver && api.driver(buf, sizeof buf) == 0) s.driver = buf;
  s.uuid = uuid;
  s.pcie_gen_max = read_or<int>(-1, api.gen_max, d);
  s.pcie_width_max = read_or<int>(-1, api.width_max, d);
  s.pcie_gen = read_or<int>(-1, api.gen, d);
  s.pcie_width = read_or<int>(-1, api.width, d);
  s.power_limit_w = read_or<double>(-1000, api.power_limit, d) / 1000.0;
  s.sm_clock_max = api.max_clock ? read_or<int>(-1, api.max_clock, d, kClockSm) : -1;
  s.mem_clock_max = api.max_clock ? read_or<int>(-1, api.max_clock, d, kClockMem) : -1;
  int cur = 0, pending = 0;
  if (api.ecc && api.ecc(d, &cur, &pending) == 0) s.ecc = cur;
  return s;
}

double Nvml::energy_j(const std::string& uuid) {
  Dev d = device(uuid);
  unsigned long long mj = 0;
  if (!d || !api.energy || api.energy(d, &mj) != 0) return -1;
  return double(mj) / 1000.0;
}

NvmlSample Nvml::sample(const std::string& uuid, bool with_pcie) {
  NvmlSample s;
  Dev d = device(uuid);
  if (!d) return s;
  s.power_w = read_or<double>(-1000, api.power, d) / 1000.0;
  s.energy_j = energy_j(uuid);
  s.sm_clock = api.clock ? read_or<int>(-1, api.clock, d, kClockSm) : -1;
  s.mem_clock = api.clock ? read_or<int>(-1, api.clock, d, kClockMem) : -1;
  s.temp_c = api.temp ? read_or<int>(-1, api.temp, d, kTempGpu) : -1;
  Utilization u{};
  if (api.util && api.util(d, &u) == 0) {
    s.gpu_util = int(u.gpu);
    s.mem_util = int(u.memory);
  }
  s.pcie_gen = read_or<int>(-1, api.gen, d);
  s.pcie_width = read_or<int>(-1, api.width, d);
  unsigned long long reasons = 0;
  if (api.reasons && api.reasons(d, &reasons) == 0) s.throttle = int64_t(reasons);
  if (with_pcie && api.pcie_tput) {
    unsigned kb = 0;  // KB/s over a 20 ms window
    if (api.pcie_tput(d, kPcieTx, &kb) == 0) s.pcie_tx_bps = double(kb) * 1024.0;
    if (api.pcie_tput(d, kPcieRx, &kb) == 0) s.pcie_rx_bps = double(kb) * 1024.0;
  }
  return s;
}

}  // namespace gb
