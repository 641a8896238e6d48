// Counter: a count with one writer thread and any number of readers, the
// unit of enumd's per-worker statistics (metrics/query_metrics.h, the TCP
// connection pool's counts).
//
// Add() is a relaxed load and a relaxed store, not a read-modify-write: on
// x86-64 a plain load and store, no lock prefix. Each counter lives in a block
// owned by one worker thread (no other thread writes its cache lines), so
// counting costs what `++n` on a local does, and a scrape that reads every
// block concurrently is data-race free. A scrape sees each counter at some
// recent value; counters are summed over workers when scraped, never shared.
#pragma once

#include <atomic>
#include <cstdint>

namespace enumd {

class Counter {
 public:
  // The owning thread only.
  void Add(uint64_t n = 1) noexcept {
    value_.store(value_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  // Any thread.
  uint64_t Get() const noexcept { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

}  // namespace enumd
