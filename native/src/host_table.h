// The feature table in host memory, allocated the way a scenario asks
// (pageable, cudaHostAlloc, malloc + cudaHostRegister, huge pages) and filled
// with the pattern from hash.h. Records what the OS actually granted.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "thread_pool.h"

namespace gb {

enum class HostAlloc { Malloc, HostAlloc, Register, HugePage };
// Huge pages (transparent or hugetlb) of the mapping that starts at addr, in KiB, from /proc/self/smaps.
uint64_t huge_kib_of_mapping(const void* addr);
HostAlloc parse_host_alloc(const std::string& s);

// Host memory filled with the pattern of hash.h, allocated the way a
// scenario asks. One storage serves every table shape of a run that uses the
// same allocation: the pattern is a function of the byte offset alone, so a
// table of any row width is a view of a prefix of it, and a sweep over row
// widths fills and pins its host memory once.
class HostStorage {
 public:
  // Over-read room after the last row: the aligned kernels read whole
  // 128-byte segments and vectors past a row's end.
  static constexpr uint64_t kPadBytes = 256;

  HostStorage(uint64_t bytes, HostAlloc mode, uint64_t seed, ThreadPool& pool);
  ~HostStorage();
  HostStorage(const HostStorage&) = delete;
  HostStorage& operator=(const HostStorage&) = delete;

  uint8_t* data() const { return data_; }
  // Bytes usable by tables (the pad after them excluded).
  uint64_t bytes() const { return bytes_; }
  uint64_t seed() const { return seed_; }
  HostAlloc mode() const { return mode_; }
  bool pinned() const { return pinned_; }
  // Address the GPU uses for zero-copy reads; nullptr when not mapped.
  const uint8_t* device_view() const { return device_view_; }
  // What was obtained, e.g. "hugepage: THP 1024 of 1024 MiB" or "malloc (pageable)".
  const std::string& obtained() const { return obtained_; }
  double fill_seconds() const { return fill_seconds_; }

  // Copies of the storage that methods keep across the points sharing it
  // (the device-resident copy, the managed copy), by key: the kept one where
  // `usable` accepts it, else a new one from `make` (the old one let go
  // first), under one lock. The runner drops them when the points that use
  // them are done; a bench holds the copy it reads, so a dropped or replaced
  // copy lives until the last bench reading it is gone.
  using CopyCheck = std::function<bool(const std::shared_ptr<void>&)>;
  std::shared_ptr<void> copy_or_make(const std::string& key, const CopyCheck& usable,
                                     const std::function<std::shared_ptr<void>()>& make) const;
  void drop_copies() const;

 private:
  void release();
  void allocate();
  void fill(ThreadPool& pool);
  void pin();
  uint64_t bytes_, alloc_bytes_;
  HostAlloc mode_;
  uint64_t seed_;
  uint8_t* data_ = nullptr;
  const uint8_t* device_view_ = nullptr;
  bool pinned_ = false, mmapped_ = false, cuda_host_alloc_ = false, registered_ = false;
  std::string obtained_;
  double fill_seconds_ = 0;
  mutable std::mutex copies_mu_;
  mutable std::map<std::string, std::shared_ptr<void>> copies_;
};

// The feature table a method gathers from: rows x row_bytes over a prefix of
// a storage.
class HostTable {
 public:
  static constexpr uint64_t kPadBytes = HostStorage::kPadBytes;
  HostTable(std::shared_ptr<const HostStorage> storage, uint64_t rows, uint64_t row_bytes);
  // A table with storage of its own, exactly its size.
  HostTable(uint64_t rows, uint64_t row_bytes, HostAlloc mode, uint64_t seed, ThreadPool& pool);

  const HostStorage& storage() const { return *storage_; }
  uint8_t* data() const { return storage_->data(); }
  uint64_t rows() const { return rows_; }
  uint64_t row_bytes() const { return row_bytes_; }
  uint64_t bytes() const { return rows_ * row_bytes_; }
  HostAlloc mode() const { return storage_->mode(); }
  bool pinned() const { return storage_->pinned(); }
  const uint8_t* device_view() const { return storage_->device_view(); }
  const std::string& obtained() const { return storage_->obtained(); }
  double fill_seconds() const { return storage_->fill_seconds(); }
  void drop_copies() const { storage_->drop_copies(); }

 private:
  std::shared_ptr<const HostStorage> storage_;
  uint64_t rows_, row_bytes_;
};

}  // namespace gb
