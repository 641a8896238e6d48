// QueryMetrics: what one query-path thread (a UDP socket's thread or a
// worker's TCP loop) counts about the queries it handles, and QueryTotals,
// their sum over every thread when /metrics is scraped.
//
// Cost on the query path: a dozen Counter::Add calls into the thread's own
// block (common/counter.h: plain loads and stores), a bucket scan for the response
// size, and two clock reads on one query in kTimeSampleEvery (the duration
// histogram is sampled: reading the clock on every query would cost more
// than all the counting). No allocation, no lock, no shared atomic.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "common/counter.h"
#include "metrics/exposition.h"

namespace enumd::metrics {

enum class Transport : uint8_t { kUdp = 0, kTcp = 1 };
enum class Family : uint8_t { kIpv4 = 0, kIpv6 = 1 };

// One query as the handler saw it.
struct QueryOutcome {
  Transport transport = Transport::kUdp;
  Family family = Family::kIpv4;
  bool sent = false;  // an answer went out; false: dropped (malformed, QR set, rate limit)
  bool has_question = false;
  uint16_t qtype = 0;
  uint8_t opcode = 0;
  uint16_t rcode = 0;  // extended (BADVERS 16)
  bool edns = false;
  bool do_bit = false;
  bool truncated = false;
  size_t response_bytes = 0;
  int zone = -1;  // per-zone counter (zone::Zone::metrics_id); -1: none
};

// The sizes the response-size histogram tells apart (bytes): the classic UDP
// limit, the EDNS default (DNS Flag Day 2020), a 1500-byte MTU, TCP beyond.
inline constexpr double kSizeBounds[] = {64, 128, 256, 512, 1024, 1232, 1500, 4096, 16384};
inline constexpr size_t kSizeBuckets = sizeof(kSizeBounds) / sizeof(kSizeBounds[0]);
// Query processing time (seconds): microseconds from the node cache, tens to
// hundreds when RocksDB reads the disk.
inline constexpr double kTimeBounds[] = {2e-6,   5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4,
                                         2.5e-4, 5e-4, 1e-3, 1e-2,   1e-1};
inline constexpr size_t kTimeBuckets = sizeof(kTimeBounds) / sizeof(kTimeBounds[0]);
inline constexpr unsigned kTimeSampleEvery = 16;

inline constexpr size_t kQtypeSlots = 16;  // 15 named types + other
inline constexpr size_t kRcodeSlots = 25;  // 0..23 + other
inline constexpr size_t kOpcodes = 16;
// Per-zone query counters: zones get ids 0..kZoneSlots-2 as they first
// appear; later ones share the last slot.
inline constexpr size_t kZoneSlots = 64;

struct QueryTotals {
  uint64_t queries[2][2] = {};  // [transport][family]
  uint64_t dropped = 0;         // no answer sent
  uint64_t qtypes[kQtypeSlots] = {};
  uint64_t opcodes[kOpcodes] = {};
  uint64_t rcodes[kRcodeSlots] = {};
  uint64_t truncated = 0;
  uint64_t zones[kZoneSlots] = {};
  uint64_t cache_hits = 0, cache_misses = 0;  // the node caches
  uint64_t edns = 0;
  uint64_t do_bit = 0;
  uint64_t sizes[2][kSizeBuckets + 1] = {};  // [transport], per bucket (not cumulative)
  uint64_t size_sum[2] = {};
  uint64_t times[kTimeBuckets + 1] = {};
  uint64_t time_sum_ns = 0;

  // Every family above, in the text format (enumd_queries_total, ...).
  void Write(TextExposition* out) const;
};

class alignas(64) QueryMetrics {
 public:
  void Record(const QueryOutcome& o) noexcept;
  // True on one call in kTimeSampleEvery: time this query, then RecordDuration.
  bool ShouldTime() noexcept {
    const uint64_t n = time_tick_.Get();
    time_tick_.Add();
    return n % kTimeSampleEvery == 0;
  }
  void RecordDuration(uint64_t nanoseconds) noexcept;
  // Where this thread's node cache counts its hits and misses
  // (store::NodeCache::set_counters).
  Counter* cache_hits() { return &cache_hits_; }
  Counter* cache_misses() { return &cache_misses_; }

  // Adds this thread's counts to `t`. Any thread.
  void AddTo(QueryTotals* t) const noexcept;

 private:
  Counter queries_[2][2];
  Counter dropped_;
  Counter qtypes_[kQtypeSlots];
  Counter opcodes_[kOpcodes];
  Counter rcodes_[kRcodeSlots];
  Counter truncated_, edns_, do_bit_;
  Counter zones_[kZoneSlots];
  Counter cache_hits_, cache_misses_;
  Counter sizes_[2][kSizeBuckets + 1];
  Counter size_sum_[2];
  Counter times_[kTimeBuckets + 1];
  Counter time_sum_ns_;
  Counter time_tick_;
};

// The QueryMetrics of every handler thread. Blocks are added while the
// server starts (before its threads run) and live as long as the set, so a
// scrape can read them while queries are answered, and after the server
// stopped. Thread-safe.
class QueryMetricsSet {
 public:
  QueryMetrics* Add();
  QueryTotals Sum() const;

 private:
  mutable std::mutex mu_;  // the vector, never the counters
  std::vector<std::unique_ptr<QueryMetrics>> blocks_;
};

// Label text of a query type, opcode or rcode slot ("NAPTR", "QUERY", "NXDOMAIN").
const char* QtypeName(size_t slot);
size_t QtypeSlot(uint16_t qtype) noexcept;

}  // namespace enumd::metrics
