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

#include "store/zone_store.h"

namespace enumd::zone {

enum class WildcardMode {
  kRfc4592,      // RFC 4592 exactly, as BIND and Knot DNS answer
  kLongestMatch  // a name without data of its own uses the deepest wildcard above it
};

struct Zone {
  store::ZoneMeta meta;
  std::string origin;  // wire form, as configured (its case is what answers show)
  int origin_labels = 0;
  WildcardMode mode = WildcardMode::kRfc4592;
};

class ZoneTable {
 public:
  void Add(Zone zone);
  // The zone with the longest origin that `qname` is at or below, or null.
  const Zone* Find(const uint8_t* qname) const noexcept;
  const std::vector<Zone>& zones() const { return zones_; }

 private:
  std::vector<Zone> zones_;
};

// Holds the current table. Publish() swaps in a new one; tables that may still
// be in use by a reader are kept until Retire() is called after a grace period
// longer than any query takes (the server does this from a timer).
class ZoneRegistry {
 public:
  ZoneRegistry();
  ~ZoneRegistry();
  const ZoneTable* current() const noexcept { return current_.load(std::memory_order_acquire); }
  void Publish(std::unique_ptr<ZoneTable> table);
  // Frees every table replaced before the previous call to Retire().
  void Retire();

 private:
  std::atomic<const ZoneTable*> current_;
  std::mutex mu_;
  std::vector<std::unique_ptr<ZoneTable>> owned_;  // current + pending
  size_t retire_upto_ = 0;                         // owned_[0, retire_upto_) are retirable
};

}  // namespace enumd::zone
