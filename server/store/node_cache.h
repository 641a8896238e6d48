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
// Invalidation is the owner's job: Erase() forgets one name's node, Clear()
// everything, each in O(1). The store applies its
// log of changed names to a worker's cache before the worker reads a newer
// view (ZoneStore::AcquireView), so a cached value is never older than the
// view the query reads.
//
// A cache loaded with every node of some zones (daemon::CacheWarmer) may
// also know absence: a key it does not find is not in the store, with no
// RocksDB read (a flood of random names asks mostly for such keys). It knows
// so while nothing it was loaded with is gone: TrackChanges before the load
// makes it remember every name the change log has it forget (by hash, so a
// name created since is read from the store), and SetComplete after the load
// says which keys the load covered (a record too large to keep, or whose
// slot a later one took, is remembered as changed too). It stops knowing,
// until the next load, once the ring wraps onto loaded records, more names
// changed than TrackChanges allowed, or on Clear.
//
// Not thread-safe: one per worker thread. Memory is allocated once, at
// construction; Find and Insert never allocate.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "common/counter.h"

namespace enumd::store {

class NodeCache {
 public:
  enum class Hit { kUnknown, kPresent, kAbsent };

  // Which Inserts are kept. kSecondSight: a key not cached is remembered
  // only when Insert has been called for it once before, within the last
  // window of about as many keys as the table has slots (a doorkeeper, as in
  // TinyLFU: one bit per key in a bitmap of 4 bits per slot, cleared when a
  // quarter of it is set). Traffic spread over tens of millions of names --
  // a random-name flood, or calls uniformly over all numbers -- asks most
  // names once: remembering each would cost a ring write and push out the
  // names that are asked again (the upper nodes every lookup reads).
  enum class Admission : uint8_t { kAll, kSecondSight };

  // `bytes`: size of the ring (the slot table adds 1/16 to 1/8 of that, the
  // doorkeeper 1/64 to 1/32); 0 disables the cache (Find always kUnknown,
  // Insert does nothing).
  explicit NodeCache(size_t bytes, Admission admission = Admission::kAll);
  ~NodeCache();
  NodeCache(const NodeCache&) = delete;
  NodeCache& operator=(const NodeCache&) = delete;

  // On kPresent, *value views the cached bytes, valid until the next Find,
  // Insert or Clear. kAbsent: remembered absent, or not cached in a complete
  // cache whose load covered the key (see SetComplete).
  Hit Find(uint32_t gen, std::string_view key, std::string_view* value) noexcept;
  // Remembers (gen, key) -> value, or that it is absent (value ignored).
  // Records larger than 1/16 of the ring are not cached.
  void Insert(uint32_t gen, std::string_view key, std::string_view value, bool present) noexcept;
  // The same for a key Find has just reported kUnknown, with no call on the
  // cache since: it is not looked up again (a miss costs two random reads).
  void InsertMissed(uint32_t gen, std::string_view key, std::string_view value,
                    bool present) noexcept;
  // Remembers (gen, key) -> value whatever the admission: a warm-up that
  // loads the cache with a whole zone before any query asks for it.
  void Preload(uint32_t gen, std::string_view key, std::string_view value) noexcept;
  // Exchanges memory and contents (a cache loaded on another thread, taken
  // over in O(1)); each keeps its own counters.
  void Swap(NodeCache& other) noexcept;
  // Forgets the entry of (gen, key), if cached.
  void Erase(uint32_t gen, std::string_view key) noexcept;
  // The same by KeyHash(gen, key), without the key: may also forget an entry
  // whose hash shares the bucket and tag (harmless: a miss).
  void EraseHashed(uint64_t hash) noexcept;
  static uint64_t KeyHash(uint32_t gen, std::string_view key) noexcept;
  // Asks the memory for what a Find of the key of hash `h` will read (a
  // lookup that knows its next probes overlaps their cache misses).
  void Prefetch(uint64_t h) const noexcept {
    if (!capacity_) return;
    __builtin_prefetch(Bucket(h, 0));
    __builtin_prefetch(Bucket(h, 1));
  }
  // After Prefetch(h), once its slots have had time to arrive: asks for
  // the record a Find of hash `h` will compare (each slot of its tag's).
  void PrefetchRecord(uint64_t h) const noexcept;
  // What Find(gen, key) would answer (`h` its KeyHash), changing nothing:
  // no counts, no second chance, no value.
  Hit Peek(uint32_t gen, std::string_view key, uint64_t h) const noexcept;
  void Clear() noexcept;

  // Completeness (see the top). `max_changes`: how many distinct names may
  // change before the cache stops knowing absence. On a cache nothing was
  // written to yet; throws std::bad_alloc.
  void TrackChanges(size_t max_changes);
  // A question about (gen, key), of KeyHash `hash`, put to what the load
  // knows; asked on the owner's thread.
  using Covers = std::function<bool(uint32_t gen, std::string_view key, uint64_t hash)>;
  // After the load (and the changes since applied): from now on a key
  // `covers` says was loaded, and Find does not find, is absent (`covers`:
  // the load put it here had it existed, or knows otherwise that it did
  // not, e.g. from a KeyFilter of every key; asked only for keys Find does
  // not find). Ignored unless TrackChanges was called and the cache still
  // knows every change. `unseen`, if given, is asked by every Find before
  // the slots are read: true only for a key the load would have seen, had
  // it existed, and did not (a small filter of a rare kind of key, such as
  // wildcards: a flood's NXDOMAIN asks for one it would otherwise wait on
  // memory for). Such a key, unchanged since, is absent without a probe of
  // the table.
  void SetComplete(Covers covers, Covers unseen = nullptr) noexcept;
  bool complete() const noexcept { return covers_ && written_ <= capacity_; }

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
  // Ring bytes written since construction (moves included).
  uint64_t bytes_written() const { return written_; }
  // Changes with every Clear.
  uint32_t clears() const { return epoch_; }
  // Ring bytes one record of this key and value takes.
  static size_t RecordBytes(size_t key_size, size_t value_size) noexcept {
    return RecordSize(key_size, value_size);
  }

 private:
  struct Slot {
    uint64_t pos;    // ring position of the record + 1 (0: empty)
    uint32_t tag;    // high bits of the hash
    uint32_t epoch;  // Clear() count when written
  };
  struct Record;
  static constexpr int kWays = 4;

  // Insert, InsertMissed and Preload: `admit` asks the doorkeeper first;
  // `missed`: the key is known not to be cached.
  void Put(uint32_t gen, std::string_view key, std::string_view value, bool present, bool admit,
           bool missed) noexcept;

  bool Alive(const Slot& s) const noexcept {
    return s.pos != 0 && s.epoch == epoch_ && s.pos - 1 + capacity_ >= written_;
  }
  void Unmap() noexcept;
  size_t SeenBytes() const noexcept { return (seen_mask_ + 1) / 8; }
  const Record* RecordAt(uint64_t pos) const noexcept;
  static size_t RecordSize(size_t key_size, size_t value_size) noexcept;
  // Ring position for a new record of `size` bytes (records never wrap).
  uint64_t Reserve(size_t size) noexcept;
  // The two buckets (kWays slots each, one cache line) a key may live in:
  // `which` 0 from the hash's low bits, 1 that bucket's partner for the
  // key's tag (the hash's high bits). The partner of the partner is the
  // bucket itself, so a slot's other bucket follows from where it is and its
  // tag alone: moving a record needs no read of the ring (partial-key cuckoo
  // hashing, as in cuckoo filters).
  uint64_t Partner(uint64_t bucket, uint32_t tag) const noexcept {
    const uint64_t offset = (tag * 0x9e3779b97f4a7c15ULL) >> 20 & bucket_mask_;
    return bucket ^ (offset ? offset : 1);
  }
  Slot* Bucket(uint64_t h, int which) const noexcept {
    const uint64_t b = h & bucket_mask_;
    return slots_ + (which ? Partner(b, static_cast<uint32_t>(h >> 32)) : b) * kWays;
  }
  // Doorkeeper: true if `h` was offered since the bitmap was last cleared
  // (else marks it and returns false).
  bool SeenBefore(uint64_t h) noexcept;
  // The live slot holding (gen, key), or null.
  const Slot* FindSlot(uint32_t gen, std::string_view key, uint64_t h) const noexcept;
  // What EraseHashed(h) may have erased: its tag and the lower of its two
  // buckets (every key sharing both goes too), + 1 (0: an empty entry).
  uint64_t ChangeMark(uint64_t h) const noexcept {
    return SlotMark(h & bucket_mask_, static_cast<uint32_t>(h >> 32));
  }
  // The same for a record in `bucket` with `tag` (either of its two). Never
  // 0 while there are fewer than 2^32 buckets (a ring below 2 TiB).
  uint64_t SlotMark(uint64_t bucket, uint32_t tag) const noexcept {
    const uint64_t other = Partner(bucket, tag);
    return (uint64_t{tag} << 32 | (bucket < other ? bucket : other)) + 1;
  }
  // Completeness: remember that the names of hash `h` (of a ChangeMark)
  // changed / ask.
  void NoteChange(uint64_t h) noexcept { NoteMark(ChangeMark(h)); }
  void NoteMark(uint64_t mark) noexcept;
  bool Changed(uint64_t h) const noexcept;
  // Completeness: (gen, key) of hash `h` is absent by what `unseen` knows
  // (before the slots are read) / by what `covers` knows (after they were,
  // without it).
  bool KnownUnseen(uint32_t gen, std::string_view key, uint64_t h) const noexcept;
  bool KnownAbsent(uint32_t gen, std::string_view key, uint64_t h) const noexcept;
  // The change set's entry holding `mark`, or the empty one where it would go.
  uint64_t* MarkEntry(uint64_t mark) const noexcept;
  void Incomplete() noexcept;

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
  // The doorkeeper (kSecondSight): a bitmap of seen_mask_ + 1 bits.
  uint64_t* seen_ = nullptr;
  uint64_t seen_mask_ = 0;
  uint64_t seen_set_ = 0;  // bits set since the last clear
  uint64_t written_ = 0;   // total bytes ever written to the ring (positions are absolute)
  uint32_t epoch_ = 1;     // Clear() count + 1, never 0
  uint64_t sequence_ = 0;
  // Completeness: an open-addressed set of ChangeMarks (changes_mask_ + 1
  // entries, from mmap), at most changes_max_ of them; covers_ set while the
  // cache knows absence.
  uint64_t* changes_ = nullptr;
  uint64_t changes_mask_ = 0;
  size_t changes_count_ = 0;
  size_t changes_max_ = 0;
  // A bit per bucket (lower bucket of a mark) modulo at most 2^18, set when
  // a mark of it joined the set: while few names changed most keys' bit is
  // clear, and 32 KiB of bits stay in the CPU's cache where a random line
  // of the set (megabytes) did not: a flood's absent names stalled on it
  // once per name (perf: 86% of KnownAbsent's samples; one bit per bucket,
  // 1/4096 of the ring, still missed the cache for 67% of Changed's).
  uint64_t* changed_bits_ = nullptr;
  uint64_t ChangedBitsMask() const noexcept {
    return std::min<uint64_t>(bucket_mask_, (uint64_t{1} << 18) - 1);
  }
  size_t ChangedBitsBytes() const noexcept { return ((ChangedBitsMask() >> 6) + 1) * 8; }
  bool tracking_ = false;  // TrackChanges called and every change kept since
  Covers covers_;
  Covers unseen_;
};

// KeyFilter: the keys of a loaded set of zones as a blocked Bloom filter of
// their NodeCache::KeyHash (~12 bits per key, one cache line per question,
// ~1-2% false "maybe"). With udp.spread: name a thread's cache holds only the
// names the kernel sends it, while a missing name's closest-encloser search
// asks for ancestors of every thread's share: the filter tells which of
// those the load never saw. Filled once, then read-only (shared by the
// threads).
class KeyFilter {
 public:
  explicit KeyFilter(uint64_t keys);  // the keys it will hold; throws bad_alloc
  void Add(uint64_t hash) noexcept;
  // False: never added.
  bool MayContain(uint64_t hash) const noexcept;

 private:
  static constexpr uint64_t kSeed = 0x6a09e667f3bcc909ULL;
  static constexpr int kProbes = 6;
  uint64_t* Block(uint64_t mixed) const noexcept;
  uint64_t blocks_;  // of 512 bits
  std::unique_ptr<uint64_t[]> words_;
};

// A NodeCache handed from the thread that filled it to the worker that will
// own it: Offer on the filling thread (a cache offered before and not taken
// yet is freed), Take on the worker, between queries.
class alignas(64) CacheHandoff {  // written after every query: a line of its own
 public:
  CacheHandoff() = default;
  ~CacheHandoff() { delete offered_.exchange(nullptr); }
  CacheHandoff(const CacheHandoff&) = delete;
  CacheHandoff& operator=(const CacheHandoff&) = delete;

  void Offer(std::unique_ptr<NodeCache> cache) noexcept {
    delete offered_.exchange(cache.release(), std::memory_order_acq_rel);
  }
  // Null unless one was offered: one relaxed load then.
  std::unique_ptr<NodeCache> Take() noexcept {
    if (offered_.load(std::memory_order_relaxed) == nullptr) return nullptr;
    std::unique_ptr<NodeCache> taken(offered_.exchange(nullptr, std::memory_order_acq_rel));
    if (taken) Report(*taken);
    return taken;
  }
  // True while a cache waits to be taken.
  bool waiting() const noexcept { return offered_.load(std::memory_order_relaxed) != nullptr; }
  // The owner's cache as the filling thread may watch it: the ring bytes
  // written since it was taken (NodeCache::bytes_written, reported by the
  // owner between queries) -- a loaded cache whose ring fills up starts
  // evicting what was loaded.
  // It also reports how often the cache was emptied (NodeCache::clears: a
  // thread that fell more than the change log behind empties its cache).
  // And whether it still knows absent names (NodeCache::complete).
  void Report(const NodeCache& owned) noexcept {
    written_.store(owned.bytes_written(), std::memory_order_relaxed);
    clears_.store(owned.clears(), std::memory_order_relaxed);
    complete_.store(owned.complete(), std::memory_order_relaxed);
  }
  uint64_t written() const noexcept { return written_.load(std::memory_order_relaxed); }
  uint32_t clears() const noexcept { return clears_.load(std::memory_order_relaxed); }
  bool complete() const noexcept { return complete_.load(std::memory_order_relaxed); }

 private:
  std::atomic<NodeCache*> offered_{nullptr};
  std::atomic<uint64_t> written_{0};
  std::atomic<uint32_t> clears_{0};
  std::atomic<bool> complete_{false};
};

}  // namespace enumd::store
