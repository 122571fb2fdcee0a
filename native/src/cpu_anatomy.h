// Where the CPU gather path's run-to-run luck lives (#35): the host half of the papers' baseline (threads
// gather rows into a staging buffer, then copy it on) measured in draws, each draw redrawing one suspect —
// the table's pages, its virtual address, huge pages, the buffers, the thread pool and where its threads
// run, how the pool wakes, or only time — with everything else kept. The spread between draws of a suspect
// is set against the spread between processes (harness/anatomy).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace gb {

struct AnatomyConfig {
  uint64_t table_bytes = 256ull << 20;
  uint64_t row_bytes = 4096;
  uint64_t batch = 65536;
  unsigned threads = 0;  // 0: every CPU this process may run on
  // none | table-fresh | table-remap | table-huge | buffers | threads | threads-pinned | wake-spin | time
  std::string factor = "none";
  int draws = 6;
  int samples = 9;
  double wait_seconds = 0;  // between draws (factor 'time')
  uint64_t seed = 1;
};

struct AnatomyDraw {
  std::vector<double> seconds;  // each sample's gather + copy
  std::string placement;        // the CPUs the pool's threads ran on, as sampled, or pinned to
  std::string pages;            // huge pages the table got, where the kernel says
};

struct AnatomyResult {
  std::vector<AnatomyDraw> draws;
  std::string thp;  // /sys/kernel/mm/transparent_hugepage/enabled
  unsigned cpus = 0;
};

AnatomyResult cpu_anatomy(const AnatomyConfig& c);
extern const char* const kAnatomyFactors[];

}  // namespace gb
