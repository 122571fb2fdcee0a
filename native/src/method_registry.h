// Every method this addon implements, in one table: its name, how it reads the table, what the harness must
// know of it (facts()), and which factory makes it. The factories switch on `maker`, never on the name.
#pragma once
#include <string>
#include <vector>

namespace gb {

enum class Backend { Host, Cuda };

// Where a timed sample reads the table: host memory by CPU threads, pinned host memory over PCIe (copies and
// zero-copy), or a copy of the table that the method makes in device or managed memory.
enum class TableSource { Host, Pcie, DeviceCopy, ManagedCopy };

enum class Maker {
  HostGatherCopy, HostMemcpy, PinnedMemcpy, CpuGatherMemcpy, CopyEngineRows, CopyEngineBatch, KernelGather,
  TrainingStep,  // step-<gather>: the gather named after "step-", beside the model's layer (training_step.cc)
};

struct MethodEntry {
  const char* name;
  Backend backend;
  Maker maker;
  TableSource source;
  bool contiguous;  // copies batch consecutive rows instead of gathering
  bool kernel;      // runs the gather kernel: its vector and mapping variants apply
  int min_cuda;     // the CUDA version (runtime and driver) it needs, 0 for none
};

const std::vector<MethodEntry>& method_entries();
// The entry of that name, or nullptr.
const MethodEntry* find_method(const std::string& name);
// A training step's gather: "step-zerocopy-aligned" -> the zerocopy-aligned entry.
const MethodEntry& step_gather(const MethodEntry& step);

}  // namespace gb
