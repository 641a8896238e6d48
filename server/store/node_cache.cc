#include "store/node_cache.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <new>
#include <utility>

#include "common/hash.h"

namespace enumd::store {

struct NodeCache::Record {
  uint32_t gen;
  uint16_t key_size;
  uint8_t present;
  uint8_t unused;
  uint32_t value_size;
  uint32_t reserved;
  // key bytes, then value bytes
  const char* key() const { return reinterpret_cast<const char*>(this + 1); }
  const char* value() const { return key() + key_size; }
};

namespace {

constexpr size_t kAlign = 8;

// `huge`: transparent huge pages asked for (a hint: fine if refused).
void* Map(size_t bytes, bool huge = true) noexcept {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  if (huge) madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

// The generation, the key's length and its bytes eight at a time (a
// multiply and a rotation each: FNV-1a's byte at a time was 2% of a flood's
// time, hashed on every probe), then a final mix so that both the low bits
// (bucket) and the high bits (tag) vary. Not keyed, like the FNV-1a before
// it: the table's two choices and eviction bound what collisions cost.
uint64_t Hash(uint32_t gen, std::string_view key) noexcept {
  constexpr uint64_t kMul = 0x9fb21c651e98df25ULL;
  const char* p = key.data();
  const size_t size = key.size();
  uint64_t h = kFnvOffset ^ gen ^ static_cast<uint64_t>(size) << 32;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = std::rotl((h ^ w) * kMul, 29);
  }
  if (i < size) {
    // The last eight bytes, overlapping the words before (the length is in
    // the hash already); a shorter key byte by byte into a register.
    uint64_t w = 0;
    if (size >= 8)
      std::memcpy(&w, p + size - 8, 8);
    else
      for (size_t j = 0; j < size; ++j) w |= uint64_t{static_cast<uint8_t>(p[j])} << (8 * j);
    h = std::rotl((h ^ w) * kMul, 29);
  }
  return MixBits(h);
}

}  // namespace

KeyFilter::KeyFilter(uint64_t keys) : blocks_(std::max<uint64_t>(1, keys * 12 / 512)) {
  words_.reset(new uint64_t[blocks_ * 8]());
}

uint64_t* KeyFilter::Block(uint64_t x) const noexcept {
  // The top half picks the block (a multiply instead of a modulo).
  return words_.get() + ((x >> 32) * blocks_ >> 32) * 8;
}

void KeyFilter::Add(uint64_t h) noexcept {
  const uint64_t x = MixBits(h ^ kSeed);
  uint64_t* block = Block(x);
  const uint64_t bits = MixBits(x);
  for (int i = 0; i < kProbes; ++i) {
    const unsigned bit = bits >> (9 * i) & 511;
    block[bit / 64] |= uint64_t{1} << (bit % 64);
  }
}

bool KeyFilter::MayContain(uint64_t h) const noexcept {
  const uint64_t x = MixBits(h ^ kSeed);
  const uint64_t* block = Block(x);
  const uint64_t bits = MixBits(x);
  for (int i = 0; i < kProbes; ++i) {
    const unsigned bit = bits >> (9 * i) & 511;
    if (!(block[bit / 64] >> (bit % 64) & 1)) return false;
  }
  return true;
}

NodeCache::NodeCache(size_t bytes, Admission admission) {
  if (bytes < 4096) return;  // too small to be of use: disabled
  capacity_ = bytes & ~(kAlign - 1);
  // One 16-byte slot per 128 ring bytes or a little more (a power of two
  // buckets): records are ~150 bytes, so the table has room for every live
  // one, and costs 1/16 to 1/8 of the ring.
  size_t buckets = 2;  // two distinct choices
  while (buckets * kWays * 128 < capacity_) buckets <<= 1;
  bucket_mask_ = buckets - 1;
  slots_bytes_ = buckets * kWays * sizeof(Slot);
  if (admission == Admission::kSecondSight) seen_mask_ = buckets * kWays * 4 - 1;
  ring_ = static_cast<uint8_t*>(Map(capacity_));
  slots_ = static_cast<Slot*>(Map(slots_bytes_));
  if (seen_mask_) seen_ = static_cast<uint64_t*>(Map(SeenBytes()));
  if (!ring_ || !slots_ || (seen_mask_ && !seen_)) {
    Unmap();
    throw std::bad_alloc();
  }
}

NodeCache::~NodeCache() { Unmap(); }

void NodeCache::Unmap() noexcept {
  if (ring_) munmap(ring_, capacity_);
  if (slots_) munmap(slots_, slots_bytes_);
  if (seen_) munmap(seen_, SeenBytes());
  if (changes_) munmap(changes_, (changes_mask_ + 1) * sizeof(uint64_t));
  if (changed_bits_) munmap(changed_bits_, ChangedBitsBytes());
}

void NodeCache::TrackChanges(size_t max_changes) {
  if (!capacity_ || changes_ || written_ != 0) return;
  size_t entries = 64;  // at most half full: short probes
  while (entries < 2 * max_changes) entries <<= 1;
  // Small pages: a few changes touch a few pages, not the whole table.
  changes_ = static_cast<uint64_t*>(Map(entries * sizeof(uint64_t), false));
  if (!changes_) throw std::bad_alloc();
  changes_mask_ = entries - 1;
  changed_bits_ = static_cast<uint64_t*>(Map(ChangedBitsBytes(), false));
  if (!changed_bits_) throw std::bad_alloc();
  changes_max_ = max_changes;
  tracking_ = true;
}

void NodeCache::SetComplete(Covers covers, Covers unseen) noexcept {
  if (!tracking_) return;
  covers_ = std::move(covers);
  unseen_ = std::move(unseen);
}

void NodeCache::Incomplete() noexcept {
  tracking_ = false;
  covers_ = nullptr;
  unseen_ = nullptr;
}

uint64_t* NodeCache::MarkEntry(uint64_t mark) const noexcept {
  for (uint64_t i = MixBits(mark);; ++i) {
    uint64_t* e = &changes_[i & changes_mask_];
    if (*e == mark || *e == 0) return e;
  }
}

void NodeCache::NoteMark(uint64_t mark) noexcept {
  if (!tracking_) return;
  uint64_t* e = MarkEntry(mark);
  if (*e == mark) return;
  if (changes_count_ == changes_max_) return Incomplete();
  *e = mark;
  ++changes_count_;
  const uint64_t bit = (mark - 1) & ChangedBitsMask();  // of its lower bucket
  changed_bits_[bit / 64] |= uint64_t{1} << (bit % 64);
}

bool NodeCache::Changed(uint64_t h) const noexcept {
  if (changes_count_ == 0) return false;
  const uint64_t mark = ChangeMark(h);
  const uint64_t bit = (mark - 1) & ChangedBitsMask();
  if (!(changed_bits_[bit / 64] >> (bit % 64) & 1)) return false;
  return *MarkEntry(mark) == mark;
}

bool NodeCache::SeenBefore(uint64_t h) noexcept {
  // Bits of the hash that pick neither the bucket (low bits) nor the tag.
  const uint64_t bit = (h * 0xff51afd7ed558ccdULL) >> 17 & seen_mask_;
  uint64_t& word = seen_[bit / 64];
  const uint64_t m = uint64_t{1} << (bit % 64);
  if (word & m) return true;
  word |= m;
  if (++seen_set_ > (seen_mask_ + 1) / 4) {
    std::memset(seen_, 0, SeenBytes());
    seen_set_ = 0;
  }
  return false;
}

size_t NodeCache::RecordSize(size_t key_size, size_t value_size) noexcept {
  return (sizeof(Record) + key_size + value_size + kAlign - 1) & ~(kAlign - 1);
}

const NodeCache::Record* NodeCache::RecordAt(uint64_t pos) const noexcept {
  return reinterpret_cast<const Record*>(ring_ + (pos % capacity_));
}

const NodeCache::Slot* NodeCache::FindSlot(uint32_t gen, std::string_view key,
                                           uint64_t h) const noexcept {
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  const Slot* second = Bucket(h, 1);
  // Both lines are random reads in a table of hundreds of MiB: a key that is
  // not cached (a random name) needs both, so ask for the second at once.
  __builtin_prefetch(second);
  const Slot* first = Bucket(h, 0);
  for (const Slot* bucket : {first, second}) {
    for (int i = 0; i < kWays; ++i) {
      const Slot& s = bucket[i];
      if (s.tag != tag || !Alive(s)) continue;
      const Record* r = RecordAt(s.pos - 1);
      if (r->gen == gen && r->key_size == key.size() &&
          std::memcmp(r->key(), key.data(), key.size()) == 0)
        return &s;
    }
  }
  return nullptr;
}

void NodeCache::PrefetchRecord(uint64_t h) const noexcept {
  if (!capacity_) return;
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  for (const Slot* bucket : {Bucket(h, 0), Bucket(h, 1)})
    for (int i = 0; i < kWays; ++i)
      if (bucket[i].tag == tag && Alive(bucket[i])) __builtin_prefetch(RecordAt(bucket[i].pos - 1));
}

bool NodeCache::KnownUnseen(uint32_t gen, std::string_view key, uint64_t h) const noexcept {
  return unseen_ && complete() && unseen_(gen, key, h) && !Changed(h);
}

bool NodeCache::KnownAbsent(uint32_t gen, std::string_view key, uint64_t h) const noexcept {
  // Complete: every loaded record is still here, and no name that may have
  // been created since has this key's mark.
  return complete() && !Changed(h) && covers_(gen, key, h);
}

NodeCache::Hit NodeCache::Peek(uint32_t gen, std::string_view key, uint64_t h) const noexcept {
  if (!capacity_) return Hit::kUnknown;
  if (KnownUnseen(gen, key, h)) return Hit::kAbsent;
  if (const Slot* s = FindSlot(gen, key, h))
    return RecordAt(s->pos - 1)->present ? Hit::kPresent : Hit::kAbsent;
  return KnownAbsent(gen, key, h) ? Hit::kAbsent : Hit::kUnknown;
}

NodeCache::Hit NodeCache::Find(uint32_t gen, std::string_view key,
                               std::string_view* value) noexcept {
  if (!capacity_) return Hit::kUnknown;
  const uint64_t h = Hash(gen, key);
  if (KnownUnseen(gen, key, h)) {
    if (hits_) hits_->Add();
    return Hit::kAbsent;
  }
  auto* s = const_cast<Slot*>(FindSlot(gen, key, h));
  if (!s) {
    if (KnownAbsent(gen, key, h)) {
      if (hits_) hits_->Add();
      return Hit::kAbsent;
    }
    if (misses_) misses_->Add();
    return Hit::kUnknown;
  }
  if (hits_) hits_->Add();
  // A record in use that the ring is about to write over (the oldest eighth)
  // moves to the head: FIFO alone would evict hot records as readily as cold
  // ones, and each costs a RocksDB read to bring back.
  if (s->pos - 1 + capacity_ < written_ + capacity_ / 8) {
    const Record* old = RecordAt(s->pos - 1);
    const size_t size = RecordSize(old->key_size, old->value_size);
    const uint64_t pos = Reserve(size);
    // The source lies in the oldest eighth, which Reserve may have skipped
    // but not written; memmove copes with the two overlapping.
    std::memmove(ring_ + pos % capacity_, old, size);
    s->pos = pos + 1;
  }
  const Record* r = RecordAt(s->pos - 1);
  if (!r->present) return Hit::kAbsent;
  *value = std::string_view(r->value(), r->value_size);
  return Hit::kPresent;
}

uint64_t NodeCache::Reserve(size_t size) noexcept {
  // A record never wraps around the end of the ring: skip to its start.
  const uint64_t offset = written_ % capacity_;
  if (offset + size > capacity_) written_ += capacity_ - offset;
  const uint64_t pos = written_;
  written_ += size;
  return pos;
}

void NodeCache::Insert(uint32_t gen, std::string_view key, std::string_view value,
                       bool present) noexcept {
  Put(gen, key, value, present, true, false);
}

void NodeCache::InsertMissed(uint32_t gen, std::string_view key, std::string_view value,
                             bool present) noexcept {
  Put(gen, key, value, present, true, true);
}

void NodeCache::Preload(uint32_t gen, std::string_view key, std::string_view value) noexcept {
  Put(gen, key, value, true, false, false);
}

void NodeCache::Swap(NodeCache& other) noexcept {
  std::swap(capacity_, other.capacity_);
  std::swap(bucket_mask_, other.bucket_mask_);
  std::swap(ring_, other.ring_);
  std::swap(slots_, other.slots_);
  std::swap(slots_bytes_, other.slots_bytes_);
  std::swap(seen_, other.seen_);
  std::swap(seen_mask_, other.seen_mask_);
  std::swap(seen_set_, other.seen_set_);
  std::swap(written_, other.written_);
  std::swap(epoch_, other.epoch_);
  std::swap(sequence_, other.sequence_);
  std::swap(changes_, other.changes_);
  std::swap(changes_mask_, other.changes_mask_);
  std::swap(changes_count_, other.changes_count_);
  std::swap(changes_max_, other.changes_max_);
  std::swap(changed_bits_, other.changed_bits_);
  std::swap(tracking_, other.tracking_);
  std::swap(covers_, other.covers_);
  std::swap(unseen_, other.unseen_);
}

void NodeCache::Put(uint32_t gen, std::string_view key, std::string_view value, bool present,
                    bool admit, bool missed) noexcept {
  if (!capacity_ || key.size() > UINT16_MAX) return;
  if (!present) value = {};
  const size_t size = RecordSize(key.size(), value.size());
  const uint64_t h = Hash(gen, key);
  if (size > capacity_ / 16) {
    NoteChange(h);  // a complete cache must not take it for absent
    return;
  }

  // The way to use: the same key if cached (its value changed), else a dead
  // way of the bucket with fewer live records, else room made below. With
  // one bucket per key 8% of the keys overflowed at 65% load, each costing a
  // RocksDB read per query; two choices and the cuckoo step keep 99.5% of
  // them at 90% (node_cache_test.cc).
  Slot* way = missed ? nullptr : const_cast<Slot*>(FindSlot(gen, key, h));
  if (!way && admit && seen_ && !SeenBefore(h)) return;
  if (!way) {
    Slot* first = Bucket(h, 0);
    Slot* second = Bucket(h, 1);
    int live_first = 0, live_second = 0;
    for (int i = 0; i < kWays; ++i) {
      live_first += Alive(first[i]);
      live_second += Alive(second[i]);
    }
    Slot* bucket = live_second < live_first ? second : first;
    for (int i = 0; i < kWays && !way; ++i)
      if (!Alive(bucket[i])) way = &bucket[i];
    // Both full: move one of their records to its other bucket if that has
    // room (one step of cuckoo hashing: two choices alone still overflow a
    // few percent of the keys at 90% load), else the oldest of the eight
    // makes room.
    for (Slot* b : {first, second}) {
      const uint64_t index = static_cast<uint64_t>(b - slots_) / kWays;
      for (int i = 0; i < kWays && !way; ++i) {
        Slot* alt = slots_ + Partner(index, b[i].tag) * kWays;
        for (int j = 0; j < kWays; ++j) {
          if (Alive(alt[j])) continue;
          alt[j] = b[i];
          way = &b[i];
          break;
        }
      }
    }
    if (!way) {
      way = &first[0];
      for (Slot* b : {first, second})
        for (int i = 0; i < kWays; ++i)
          if (b[i].pos < way->pos) way = &b[i];
      // A live record is forgotten: read it from the store next time.
      NoteMark(SlotMark(static_cast<uint64_t>(way - slots_) / kWays, way->tag));
    }
  }

  const uint64_t pos = Reserve(size);
  auto* r = reinterpret_cast<Record*>(ring_ + (pos % capacity_));
  r->gen = gen;
  r->key_size = static_cast<uint16_t>(key.size());
  r->present = present ? 1 : 0;
  r->unused = 0;
  r->value_size = static_cast<uint32_t>(value.size());
  r->reserved = 0;
  std::memcpy(const_cast<char*>(r->key()), key.data(), key.size());
  if (!value.empty()) std::memcpy(const_cast<char*>(r->value()), value.data(), value.size());
  *way = Slot{pos + 1, static_cast<uint32_t>(h >> 32), epoch_};
}

uint64_t NodeCache::KeyHash(uint32_t gen, std::string_view key) noexcept { return Hash(gen, key); }

void NodeCache::EraseHashed(uint64_t h) noexcept {
  if (!capacity_) return;
  const uint32_t tag = static_cast<uint32_t>(h >> 32);
  for (Slot* bucket : {Bucket(h, 0), Bucket(h, 1)})
    for (int i = 0; i < kWays; ++i)
      if (bucket[i].tag == tag) bucket[i].pos = 0;
  NoteChange(h);
}

void NodeCache::Erase(uint32_t gen, std::string_view key) noexcept {
  if (!capacity_) return;
  const uint64_t h = Hash(gen, key);
  auto* s = const_cast<Slot*>(FindSlot(gen, key, h));
  if (s) s->pos = 0;
  NoteChange(h);
}

void NodeCache::Clear() noexcept {
  if (!capacity_) return;
  Incomplete();
  if (++epoch_ != 0) return;
  // After 2^32 clears an old slot could match again: forget every slot.
  std::memset(static_cast<void*>(slots_), 0, slots_bytes_);
  epoch_ = 1;
}

}  // namespace enumd::store
