// NodeCache: one worker's memory of the node values it has read, so a name it
// has answered before costs a hash probe instead of a RocksDB Get (about 4 us
// and 5 heap allocations inside RocksDB per Get in the profile, against well
// under 1 us here, with none).
//
// Layout: a ring of bytes holding records (gen, key, value) written one after
// another, and a set-associative table of slots (4 ways per bucket) that
// point into the ring. A record is alive while the ring has not written over
// it; eviction is therefore first-in first-out and costs nothing. A key that
// is absent from the store is remembered too (a record without value), since
// misses cost RocksDB as much as hits.
//
// Invalidation is the owner's job: Clear() forgets everything in O(1). The
// store clears a worker's cache whenever RocksDB's sequence number moved, so
// a cached value is never older than the last write the worker could see.
//
// Not thread-safe: one per worker thread. Memory is allocated once, at
// construction; Find and Insert never allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

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

  // On kPresent, *value views the cached bytes, valid until the next Insert
  // or Clear.
  Hit Find(uint32_t gen, std::string_view key, std::string_view* value,
           Kind kind = Kind::kNode) const noexcept;
  // Remembers (gen, key) -> value, or that it is absent (value ignored).
  // Records larger than 1/16 of the ring are not cached.
  void Insert(uint32_t gen, std::string_view key, std::string_view value, bool present,
              Kind kind = Kind::kNode) noexcept;
  void Clear() noexcept;

  bool enabled() const { return capacity_ != 0; }
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

  bool Alive(const Slot& s) const noexcept {
    return s.pos != 0 && s.epoch == epoch_ && s.pos - 1 + capacity_ >= written_;
  }
  const Record* RecordAt(uint64_t pos) const noexcept;

  size_t capacity_ = 0;  // ring bytes
  uint64_t bucket_mask_ = 0;
  // Both from mmap, zero-filled on first touch: pages the cache never uses
  // cost no memory. Transparent huge pages are asked for: a probe is two
  // random reads in hundreds of MiB, and with 4 KiB pages the TLB misses
  // cost more than the reads (perf: 80% of Find() waited on the slot load).
  uint8_t* ring_ = nullptr;
  Slot* slots_ = nullptr;
  size_t slots_bytes_ = 0;
  uint64_t written_ = 0;  // total bytes ever written to the ring (positions are absolute)
  uint32_t epoch_ = 1;
  uint64_t sequence_ = 0;
};

}  // namespace enumd::store
