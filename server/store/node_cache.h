// NodeCache: one worker's memory of the node values it has read, so a name it
// has answered before costs a hash probe instead of a RocksDB Get (about 4 us
// and 5 heap allocations inside RocksDB per Get in the profile, against well
// under 1 us here, with none).
//
// Layout: a ring of bytes holding records (gen, key, value) written one after
// another, and a table of slots that point into the ring: each key may sit in
// either of two buckets of 4 ways (one 64-byte cache line each), whichever had
// room. A record is alive while the ring has not written over it: eviction is
// first-in first-out, except that a record found in the oldest eighth of the
// ring is moved to its head (a second chance), so hot records stay. A key that
// is absent from the store is remembered too (a record without value), since
// misses cost RocksDB as much as hits.
//
// Invalidation is the owner's job: Erase() forgets one name's node, ClearFloors()
// every floor entry, Clear() everything, each in O(1). The store applies its
// log of changed names to a worker's cache before the worker reads a newer
// view (ZoneStore::AcquireView), so a cached value is never older than the
// view the query reads.
//
// Not thread-safe: one per worker thread. Memory is allocated once, at
// construction; Find and Insert never allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/counter.h"

namespace enumd::store {

class NodeCache {
 public:
  enum class Hit { kUnknown, kPresent, kAbsent };
  // What a record remembers about (gen, key): the node's value, or the
  // greatest key <= it (ZoneStore::FloorKey). Separate entries.
  enum class Kind : uint8_t { kNode = 0, kFloor = 1 };

  // `bytes`: size of the ring (the slot table adds 1/16 to 1/8 of that); 0 disables
  // the cache (Find always kUnknown, Insert does nothing).
  explicit NodeCache(size_t bytes);
  ~NodeCache();
  NodeCache(const NodeCache&) = delete;
  NodeCache& operator=(const NodeCache&) = delete;

  // On kPresent, *value views the cached bytes, valid until the next Find,
  // Insert or Clear.
  Hit Find(uint32_t gen, std::string_view key, std::string_view* value,
           Kind kind = Kind::kNode) noexcept;
  // Remembers (gen, key) -> value, or that it is absent (value ignored).
  // Records larger than 1/16 of the ring are not cached.
  void Insert(uint32_t gen, std::string_view key, std::string_view value, bool present,
              Kind kind = Kind::kNode) noexcept;
  // Forgets the node entry of (gen, key), if cached.
  void Erase(uint32_t gen, std::string_view key) noexcept;
  // The same by KeyHash(gen, key), without the key: may also forget an entry
  // whose hash shares the bucket and tag (harmless: a miss).
  void EraseHashed(uint64_t hash) noexcept;
  static uint64_t KeyHash(uint32_t gen, std::string_view key) noexcept;
  // Forgets every floor entry (names came or went: any floor may have moved).
  void ClearFloors() noexcept;
  void Clear() noexcept;

  bool enabled() const { return capacity_ != 0; }
  // Where Find counts its hits (kPresent, kAbsent) and misses (kUnknown);
  // null: nowhere. For the metrics (per-worker counters).
  void set_counters(Counter* hits, Counter* misses) {
    hits_ = hits;
    misses_ = misses;
  }
  // The owner's note of what the cache is valid for (the store keeps RocksDB's
  // sequence number here).
  uint64_t sequence() const { return sequence_; }
  void set_sequence(uint64_t sequence) { sequence_ = sequence; }
  size_t capacity() const { return capacity_; }

 private:
  struct Slot {
    uint64_t pos;    // ring position of the record + 1 (0: empty)
    uint32_t tag;    // high bits of the hash
    uint32_t epoch;  // Clear() count when written
  };
  struct Record;
  static constexpr int kWays = 4;

  // A slot's epoch is epoch_ for a node entry, kFloorBit | floor_epoch_ for
  // a floor entry: ClearFloors moves only the second.
  static constexpr uint32_t kFloorBit = 0x80000000u;
  uint32_t EpochOf(Kind kind) const noexcept {
    return kind == Kind::kFloor ? (kFloorBit | floor_epoch_) : epoch_;
  }
  bool Alive(const Slot& s) const noexcept {
    return s.pos != 0 && (s.epoch == epoch_ || s.epoch == (kFloorBit | floor_epoch_)) &&
           s.pos - 1 + capacity_ >= written_;
  }
  void ResetIfWrapped() noexcept;
  const Record* RecordAt(uint64_t pos) const noexcept;
  static size_t RecordSize(size_t key_size, size_t value_size) noexcept;
  // Ring position for a new record of `size` bytes (records never wrap).
  uint64_t Reserve(size_t size) noexcept;
  // The two buckets (kWays slots each, one cache line) a key may live in:
  // `which` 0 from the hash's low bits, 1 from a second mix of it.
  Slot* Bucket(uint64_t h, int which) const noexcept {
    uint64_t b = h & bucket_mask_;
    if (which == 1) {
      const uint64_t other = (h * 0x9e3779b97f4a7c15ULL) >> 20 & bucket_mask_;
      b = other == b ? b ^ 1 : other;
    }
    return slots_ + b * kWays;
  }
  // The live slot holding (gen, key, kind), or null.
  const Slot* FindSlot(uint32_t gen, std::string_view key, Kind kind, uint64_t h) const noexcept;

  size_t capacity_ = 0;  // ring bytes
  Counter* hits_ = nullptr;
  Counter* misses_ = nullptr;
  uint64_t bucket_mask_ = 0;
  // Both from mmap, zero-filled on first touch: pages the cache never uses
  // cost no memory. Transparent huge pages are asked for: a probe is two
  // random reads in hundreds of MiB, and with 4 KiB pages the TLB misses
  // cost more than the reads (perf: 80% of Find() waited on the slot load).
  uint8_t* ring_ = nullptr;
  Slot* slots_ = nullptr;
  size_t slots_bytes_ = 0;
  uint64_t written_ = 0;      // total bytes ever written to the ring (positions are absolute)
  uint32_t epoch_ = 1;        // < kFloorBit
  uint32_t floor_epoch_ = 1;  // < kFloorBit
  uint64_t sequence_ = 0;
};

}  // namespace enumd::store
