#include "method_registry.h"

#include "errors.h"

namespace gb {

const std::vector<MethodEntry>& method_entries() {
  using B = Backend;
  using M = Maker;
  using S = TableSource;
  static const std::vector<MethodEntry> entries = {
      {"host-gather-copy", B::Host, M::HostGatherCopy, S::Host, false, false, 0},
      {"host-memcpy", B::Host, M::HostMemcpy, S::Host, true, false, 0},
      {"pinned-memcpy", B::Cuda, M::PinnedMemcpy, S::Pcie, true, false, 0},
      {"cpu-gather-memcpy", B::Cuda, M::CpuGatherMemcpy, S::Host, false, false, 0},
      {"zerocopy-naive", B::Cuda, M::KernelGather, S::Pcie, false, true, 0},
      {"zerocopy-aligned", B::Cuda, M::KernelGather, S::Pcie, false, true, 0},
      {"device-resident", B::Cuda, M::KernelGather, S::DeviceCopy, false, true, 0},
      {"uvm", B::Cuda, M::KernelGather, S::ManagedCopy, false, true, 0},
      {"copy-engine-rows", B::Cuda, M::CopyEngineRows, S::Pcie, false, false, 0},
      {"copy-engine-batch", B::Cuda, M::CopyEngineBatch, S::Pcie, false, false, 12080},
      {"cached-zerocopy", B::Cuda, M::KernelGather, S::Pcie, false, true, 0},
      {"zerocopy-sorted", B::Cuda, M::KernelGather, S::Pcie, false, true, 0},
      // training steps: each reads the table as its gather does
      {"step-cpu-gather-memcpy", B::Cuda, M::TrainingStep, S::Host, false, false, 0},
      {"step-zerocopy-aligned", B::Cuda, M::TrainingStep, S::Pcie, false, true, 0},
      {"step-zerocopy-sorted", B::Cuda, M::TrainingStep, S::Pcie, false, true, 0},
      {"step-copy-engine-batch", B::Cuda, M::TrainingStep, S::Pcie, false, false, 12080},
      {"step-cached-zerocopy", B::Cuda, M::TrainingStep, S::Pcie, false, true, 0},
      {"step-device-resident", B::Cuda, M::TrainingStep, S::DeviceCopy, false, true, 0},
  };
  return entries;
}

const MethodEntry* find_method(const std::string& name) {
  for (const MethodEntry& e : method_entries())
    if (name == e.name) return &e;
  return nullptr;
}

const MethodEntry& step_gather(const MethodEntry& step) {
  const std::string name(step.name);
  const MethodEntry* g = name.rfind("step-", 0) == 0 ? find_method(name.substr(5)) : nullptr;
  if (!g || g->maker == Maker::TrainingStep) throw Error("BAD_ARGUMENT", "no training step for '" + name + "'");
  return *g;
}

}  // namespace gb
