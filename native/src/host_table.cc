#include "host_table.h"

#include <sys/mman.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "errors.h"
#include "hash.h"

#ifdef GATHERBENCH_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace gb {

HostAlloc parse_host_alloc(const std::string& s) {
  if (s == "malloc") return HostAlloc::Malloc;
  if (s == "hostalloc") return HostAlloc::HostAlloc;
  if (s == "register") return HostAlloc::Register;
  if (s == "hugepage") return HostAlloc::HugePage;
  throw Error("BAD_ARGUMENT", "unknown host allocation '" + s + "' (malloc, hostalloc, register, hugepage)");
}

static constexpr uint64_t kHuge = 2ull << 20;

static uint64_t round_up(uint64_t x, uint64_t to) { return (x + to - 1) / to * to; }

// AnonHugePages / file-backed huge pages of the mapping that starts at addr, in KiB.
uint64_t huge_kib_of_mapping(const void* addr) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  char start[32];
  snprintf(start, sizeof start, "%lx-", (unsigned long)(uintptr_t)addr);
  bool in = false;
  uint64_t kib = 0;
  while (std::getline(smaps, line)) {
    if (!line.empty() && std::isxdigit((unsigned char)line[0]) && line.find('-') != std::string::npos &&
        line.find(' ') > line.find('-')) {
      if (in) break;
      in = line.rfind(start, 0) == 0;
      continue;
    }
    if (!in) continue;
    std::istringstream is(line);
    std::string key;
    uint64_t v = 0;
    is >> key >> v;
    if (key == "AnonHugePages:" || key == "Private_Hugetlb:" || key == "Shared_Hugetlb:") kib += v;
  }
  return kib;
}

HostTable::HostTable(std::shared_ptr<const HostStorage> storage, uint64_t rows, uint64_t row_bytes)
    : storage_(std::move(storage)), rows_(rows), row_bytes_(row_bytes) {
  if (rows == 0 || row_bytes == 0) throw Error("BAD_ARGUMENT", "table needs at least one row of at least one byte");
  if (rows > storage_->bytes() / row_bytes)
    throw Error("BAD_ARGUMENT", "a table of " + human_bytes(double(rows) * double(row_bytes)) + " does not fit its storage of " +
                                    human_bytes(double(storage_->bytes())));
}

HostTable::HostTable(uint64_t rows, uint64_t row_bytes, HostAlloc mode, uint64_t seed, ThreadPool& pool)
    : HostTable(std::make_shared<HostStorage>(rows * row_bytes, mode, seed, pool), rows, row_bytes) {}

HostStorage::HostStorage(uint64_t bytes, HostAlloc mode, uint64_t seed, ThreadPool& pool)
    : bytes_(bytes), mode_(mode), seed_(seed) {
  if (bytes == 0) throw Error("BAD_ARGUMENT", "table needs at least one row of at least one byte");
  alloc_bytes_ = round_up(bytes + kPadBytes, 4096);
  try {
    allocate();
    fill(pool);
    pin();
  } catch (...) {
    release();  // a throwing constructor runs no destructor
    throw;
  }
}

std::shared_ptr<void> HostStorage::copy_or_make(const std::string& key, const CopyCheck& usable,
                                               const std::function<std::shared_ptr<void>()>& make) const {
  std::lock_guard<std::mutex> lock(copies_mu_);
  auto it = copies_.find(key);
  if (it != copies_.end()) {
    if (usable(it->second)) return it->second;
    copies_.erase(it);  // freed here unless a live bench still reads it
  }
  std::shared_ptr<void> made = make();
  copies_[key] = made;
  return made;
}

void HostStorage::drop_copies() const {
  std::map<std::string, std::shared_ptr<void>> gone;
  std::lock_guard<std::mutex> lock(copies_mu_);
  gone.swap(copies_);
}

void HostStorage::allocate() {
  switch (mode_) {
    case HostAlloc::Malloc:
    case HostAlloc::Register:
      data_ = static_cast<uint8_t*>(std::aligned_alloc(4096, alloc_bytes_));
      if (!data_) throw Error("OOM", "out of host memory (needed " + human_bytes(double(alloc_bytes_)) + ")");
      obtained_ = mode_ == HostAlloc::Malloc ? "malloc (pageable)" : "malloc + cudaHostRegister";
      break;
    case HostAlloc::HostAlloc:
#ifdef GATHERBENCH_HAVE_CUDA
      if (cudaHostAlloc(reinterpret_cast<void**>(&data_), alloc_bytes_, cudaHostAllocMapped | cudaHostAllocPortable) !=
          cudaSuccess) {
        cudaGetLastError();
        throw Error("OOM", "cudaHostAlloc could not pin " + human_bytes(double(alloc_bytes_)) + " of host memory");
      }
      cuda_host_alloc_ = pinned_ = true;
      obtained_ = "cudaHostAlloc (pinned, mapped)";
      break;
#else
      throw Error("UNSUPPORTED", "host allocation 'hostalloc' needs a CUDA build");
#endif
    case HostAlloc::HugePage: {
      alloc_bytes_ = round_up(alloc_bytes_, kHuge);
      void* p = mmap(nullptr, alloc_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
      bool hugetlb = p != MAP_FAILED;
      if (!hugetlb) {
        // No reserved hugetlbfs pages: ask for transparent huge pages instead,
        // on a 2 MiB-aligned range so whole huge pages can back it.
        uint64_t over = alloc_bytes_ + kHuge;
        p = mmap(nullptr, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) throw Error("OOM", "mmap of " + human_bytes(double(over)) + " failed");
        uintptr_t a = round_up(uintptr_t(p), kHuge);
        if (a > uintptr_t(p)) munmap(p, a - uintptr_t(p));
        uintptr_t end = uintptr_t(p) + over, want_end = a + alloc_bytes_;
        if (end > want_end) munmap(reinterpret_cast<void*>(want_end), end - want_end);
        p = reinterpret_cast<void*>(a);
        madvise(p, alloc_bytes_, MADV_HUGEPAGE);
      }
      data_ = static_cast<uint8_t*>(p);
      mmapped_ = true;
      obtained_ = hugetlb ? "hugetlb" : "thp";
      break;
    }
  }
}

void HostStorage::fill(ThreadPool& pool) {
  auto t0 = std::chrono::steady_clock::now();
  const uint64_t words = alloc_bytes_ / 8;
  uint64_t* w = reinterpret_cast<uint64_t*>(data_);
  const uint64_t seed = seed_;
  pool.parallel_for(int64_t(words), [&](int64_t b, int64_t e, unsigned) {
    for (int64_t i = b; i < e; ++i) w[i] = table_word(seed, uint64_t(i));
  });
  fill_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (mode_ == HostAlloc::HugePage) {
    uint64_t huge_mib = huge_kib_of_mapping(data_) / 1024, total_mib = alloc_bytes_ >> 20;
    obtained_ = "hugepage: " + obtained_ + " " + std::to_string(huge_mib) + " of " + std::to_string(total_mib) +
                " MiB in huge pages";
  }
}

void HostStorage::pin() {
#ifdef GATHERBENCH_HAVE_CUDA
  if (mode_ == HostAlloc::Register || mode_ == HostAlloc::HugePage) {
    if (cudaHostRegister(data_, alloc_bytes_, cudaHostRegisterMapped | cudaHostRegisterPortable) == cudaSuccess) {
      registered_ = pinned_ = true;
      if (mode_ == HostAlloc::HugePage) obtained_ += " + cudaHostRegister";
    } else {
      cudaGetLastError();
      if (mode_ == HostAlloc::Register) {
        throw Error("OOM", "cudaHostRegister could not pin " + human_bytes(double(alloc_bytes_)));
      }
      obtained_ += " (not pinned: cudaHostRegister failed)";
    }
  }
  if (pinned_) {
    void* dev = nullptr;
    if (cudaHostGetDevicePointer(&dev, data_, 0) == cudaSuccess) device_view_ = static_cast<const uint8_t*>(dev);
    else cudaGetLastError();
  }
#else
  if (mode_ == HostAlloc::Register) throw Error("UNSUPPORTED", "host allocation 'register' needs a CUDA build");
#endif
}

HostStorage::~HostStorage() {
  drop_copies();
  release();
}

void HostStorage::release() {
  if (!data_) return;
#ifdef GATHERBENCH_HAVE_CUDA
  if (registered_) cudaHostUnregister(data_);
  if (cuda_host_alloc_) {
    cudaFreeHost(data_);
    data_ = nullptr;
    return;
  }
#endif
  if (mmapped_) munmap(data_, alloc_bytes_);
  else std::free(data_);
  data_ = nullptr;
}

}  // namespace gb
