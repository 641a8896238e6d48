#include "store/node_cache.h"

#include <sys/mman.h>

#include <cstring>
#include <new>

#include "common/hash.h"

namespace enumd::store {

struct NodeCache::Record {
  uint32_t gen;
  uint16_t key_size;
  uint8_t present;
  uint8_t kind;
  uint32_t value_size;
  uint32_t reserved;
  // key bytes, then value bytes
  const char* key() const { return reinterpret_cast<const char*>(this + 1); }
  const char* value() const { return key() + key_size; }
};

namespace {

constexpr size_t kAlign = 8;

void* Map(size_t bytes) noexcept {
  void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return nullptr;
  madvise(p, bytes, MADV_HUGEPAGE);  // a hint: fine if refused
  return p;
}

// FNV-1a over the generation and the key, then a final mix so that both the
// low bits (bucket) and the high bits (tag) vary.
uint64_t Hash(uint32_t gen, std::string_view key, NodeCache::Kind kind) noexcept {
  uint64_t h = 0xcbf29ce484222325ull ^ gen ^ (static_cast<uint64_t>(kind) << 32);
  for (unsigned char c : key) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return MixBits(h);
}

}  // namespace

NodeCache::NodeCache(size_t bytes) {
  if (bytes < 4096) return;  // too small to be of use: disabled
  capacity_ = bytes & ~(kAlign - 1);
  // One 16-byte slot per 128 ring bytes or a little more (a power of two
  // buckets): records are ~150 bytes, so the table has room for every live
  // one, and costs 1/16 to 1/8 of the ring.
  size_t buckets = 1;
  while (buckets * kWays * 128 < capacity_) buckets <<= 1;
  bucket_mask_ = buckets - 1;
  slots_bytes_ = buckets * kWays * sizeof(Slot);
  ring_ = static_cast<uint8_t*>(Map(capacity_));
  slots_ = static_cast<Slot*>(Map(slots_bytes_));
  if (!ring_ || !slots_) {
    if (ring_) munmap(ring_, capacity_);
    if (slots_) munmap(slots_, slots_bytes_);
    throw std::bad_alloc();
  }
}

NodeCache::~NodeCache() {
  if (ring_) munmap(ring_, capacity_);
  if (slots_) munmap(slots_, slots_bytes_);
}

const NodeCache::Record* NodeCache::RecordAt(uint64_t pos) const noexcept {
  return reinterpret_cast<const Record*>(ring_ + (pos % capacity_));
}

NodeCache::Hit NodeCache::Find(uint32_t gen, std::string_view key, std::string_view* value,
                               Kind kind) const noexcept {
  if (!capacity_) return Hit::kUnknown;
  uint64_t h = Hash(gen, key, kind);
  uint32_t tag = static_cast<uint32_t>(h >> 32);
  const Slot* bucket = slots_ + (h & bucket_mask_) * kWays;
  for (int i = 0; i < kWays; ++i) {
    const Slot& s = bucket[i];
    if (s.tag != tag || !Alive(s)) continue;
    const Record* r = RecordAt(s.pos - 1);
    if (r->gen != gen || r->kind != static_cast<uint8_t>(kind) || r->key_size != key.size() ||
        std::memcmp(r->key(), key.data(), key.size()) != 0)
      continue;
    if (!r->present) return Hit::kAbsent;
    *value = std::string_view(r->value(), r->value_size);
    return Hit::kPresent;
  }
  return Hit::kUnknown;
}

void NodeCache::Insert(uint32_t gen, std::string_view key, std::string_view value, bool present,
                       Kind kind) noexcept {
  if (!capacity_ || key.size() > UINT16_MAX) return;
  if (!present) value = {};
  size_t size = (sizeof(Record) + key.size() + value.size() + kAlign - 1) & ~(kAlign - 1);
  if (size > capacity_ / 16) return;

  uint64_t h = Hash(gen, key, kind);
  uint32_t tag = static_cast<uint32_t>(h >> 32);
  Slot* bucket = slots_ + (h & bucket_mask_) * kWays;
  // The way to use: the same key if cached (its value changed), else an empty
  // or dead way, else the oldest record.
  Slot* way = nullptr;
  for (int i = 0; i < kWays && !way; ++i) {
    Slot& s = bucket[i];
    if (s.tag == tag && Alive(s)) {
      const Record* r = RecordAt(s.pos - 1);
      if (r->gen == gen && r->kind == static_cast<uint8_t>(kind) && r->key_size == key.size() &&
          std::memcmp(r->key(), key.data(), key.size()) == 0)
        way = &s;
    }
  }
  for (int i = 0; i < kWays && !way; ++i)
    if (!Alive(bucket[i])) way = &bucket[i];
  if (!way) {
    way = &bucket[0];
    for (int i = 1; i < kWays; ++i)
      if (bucket[i].pos < way->pos) way = &bucket[i];
  }

  // A record never wraps around the end of the ring: skip to its start.
  uint64_t offset = written_ % capacity_;
  if (offset + size > capacity_) written_ += capacity_ - offset;
  uint64_t pos = written_;
  written_ += size;

  auto* r = reinterpret_cast<Record*>(ring_ + (pos % capacity_));
  r->gen = gen;
  r->key_size = static_cast<uint16_t>(key.size());
  r->present = present ? 1 : 0;
  r->kind = static_cast<uint8_t>(kind);
  r->value_size = static_cast<uint32_t>(value.size());
  r->reserved = 0;
  std::memcpy(const_cast<char*>(r->key()), key.data(), key.size());
  if (!value.empty()) std::memcpy(const_cast<char*>(r->value()), value.data(), value.size());
  *way = Slot{pos + 1, tag, epoch_};
}

void NodeCache::Clear() noexcept {
  if (!capacity_) return;
  if (++epoch_ == 0) {  // after 2^32 clears: make sure no old slot matches
    std::memset(static_cast<void*>(slots_), 0, slots_bytes_);
    epoch_ = 1;
  }
}

}  // namespace enumd::store
