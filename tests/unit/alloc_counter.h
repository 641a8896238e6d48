// Counts heap allocations made by the calling thread, for tests that prove a
// path allocates nothing (the query path, STYLE.md). The unit-test binary
// replaces the global operator new (tests/unit/alloc_counter.cc); memory that
// libraries get from malloc directly is not seen, but RocksDB, libstdc++ and
// our own code all allocate through operator new.
#pragma once

#include <cstdint>

namespace enumd::testing {

// operator new calls on this thread since it started.
uint64_t ThreadAllocations() noexcept;

// Allocations on this thread during the scope's lifetime.
class AllocationScope {
 public:
  AllocationScope() : start_(ThreadAllocations()) {}
  uint64_t count() const { return ThreadAllocations() - start_; }

 private:
  uint64_t start_;
};

}  // namespace enumd::testing
