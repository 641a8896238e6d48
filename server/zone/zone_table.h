// ZoneTable: the set of zones being served, as one immutable snapshot. The
// server builds a new table when zones change and swaps it in (ZoneRegistry);
// readers never lock. Finding the zone of a query name is a scan over a
// handful of origins, so nothing here depends on zone size.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/epoch.h"
#include "store/zone_store.h"

namespace enumd::zone {

enum class WildcardMode {
  kRfc4592,      // RFC 4592 exactly, as BIND and Knot DNS answer
  kLongestMatch  // a name without data of its own uses the deepest wildcard above it
};

struct Zone {
  store::ZoneMeta meta;
  std::string origin;     // wire form, as configured (its case is what answers show)
  int origin_labels = 0;  // set by ZoneTable::Add
  WildcardMode mode = WildcardMode::kRfc4592;
  // Which of the metrics' per-zone counters its queries count in (the
  // daemon keeps one per origin across reloads; kMetricsOther = the rest).
  uint16_t metrics_id = 0;
  // A secondary zone without a version, or past its SOA expire without a
  // good refresh: answered SERVFAIL (as BIND and Knot), `meta` unusable.
  bool expired = false;
};

class ZoneTable {
 public:
  void Add(Zone zone);  // sets zone.origin_labels from zone.origin
  // The zone with the longest origin that `qname` is at or below, or null.
  const Zone* Find(const uint8_t* qname) const noexcept;
  const std::vector<Zone>& zones() const { return zones_; }

 private:
  std::vector<Zone> zones_;
};

// Holds the table being served. Readers (query threads) register an
// EpochReader with epochs() and read current() only inside a read section;
// Publish() swaps in a new table and hands the old one back once no reader
// can hold it (EpochDomain::Synchronize), never on a timer. One writer
// thread at a time publishes.
class ZoneRegistry {
 public:
  ZoneRegistry();  // serves an empty table
  ~ZoneRegistry();
  ZoneRegistry(const ZoneRegistry&) = delete;
  ZoneRegistry& operator=(const ZoneRegistry&) = delete;

  EpochDomain* epochs() const noexcept { return &epochs_; }
  // The table to answer from; valid until the caller's read section ends.
  const ZoneTable* current() const noexcept { return current_.load(std::memory_order_seq_cst); }
  // The writer's view of the table being served (no read section needed:
  // only the writer replaces it).
  const ZoneTable& served() const noexcept { return *owned_; }
  // Serves `table` from now on. Returns the table it replaced, once no
  // reader is inside it any more: the caller may free it, and whatever only
  // it referred to (store generations).
  std::unique_ptr<ZoneTable> Publish(std::unique_ptr<ZoneTable> table);

 private:
  mutable EpochDomain epochs_;
  std::atomic<const ZoneTable*> current_;
  std::unique_ptr<ZoneTable> owned_;  // what current_ points at
  std::mutex mu_;                     // one Publish at a time
};

}  // namespace enumd::zone
