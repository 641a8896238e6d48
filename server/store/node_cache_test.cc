#include "store/node_cache.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <random>
#include <string>

#include "common/counter.h"
#include "store/name_key.h"

namespace enumd::store {
namespace {

using Hit = NodeCache::Hit;

Hit Find(NodeCache& c, uint32_t gen, const std::string& key, std::string* value) {
  std::string_view v;
  Hit h = c.Find(gen, key, &v);
  if (h == Hit::kPresent) value->assign(v);
  return h;
}

TEST_CASE("NodeCache remembers values and absences per generation and key") {
  NodeCache c(1 << 16);
  REQUIRE(c.enabled());
  std::string v;
  CHECK(Find(c, 1, "a", &v) == Hit::kUnknown);
  c.Insert(1, "a", "value-a", true);
  c.Insert(1, "b", "ignored", false);
  CHECK(Find(c, 1, "a", &v) == Hit::kPresent);
  CHECK(v == "value-a");
  CHECK(Find(c, 1, "b", &v) == Hit::kAbsent);
  // Another generation, a prefix of the key, a longer key: not the same entry.
  CHECK(Find(c, 2, "a", &v) == Hit::kUnknown);
  CHECK(Find(c, 1, "", &v) == Hit::kUnknown);
  CHECK(Find(c, 1, "ab", &v) == Hit::kUnknown);
  // An empty key (the apex) and an empty value are fine.
  c.Insert(1, "", "", true);
  CHECK(Find(c, 1, "", &v) == Hit::kPresent);
  CHECK(v.empty());
  // Inserting the same key again replaces its value.
  c.Insert(1, "a", "value-a2", true);
  CHECK(Find(c, 1, "a", &v) == Hit::kPresent);
  CHECK(v == "value-a2");
  c.Insert(1, "a", "", false);
  CHECK(Find(c, 1, "a", &v) == Hit::kAbsent);
}

TEST_CASE("NodeCache Clear forgets everything") {
  NodeCache c(1 << 16);
  std::string v;
  for (int i = 0; i < 100; ++i) c.Insert(7, "k" + std::to_string(i), "v", true);
  c.Clear();
  for (int i = 0; i < 100; ++i) CHECK(Find(c, 7, "k" + std::to_string(i), &v) == Hit::kUnknown);
  c.Insert(7, "k1", "new", true);
  CHECK(Find(c, 7, "k1", &v) == Hit::kPresent);
  CHECK(v == "new");
}

TEST_CASE("NodeCache Erase forgets one name's entry; Clear all of them") {
  NodeCache c(1 << 16);
  std::string_view v;
  c.Insert(7, "a", "node-a", true);
  c.Insert(7, "b", "", false);
  c.Erase(7, "a");
  CHECK(c.Find(7, "a", &v) == NodeCache::Hit::kUnknown);
  CHECK(c.Find(7, "b", &v) == NodeCache::Hit::kAbsent);
  c.Erase(8, "b");  // another generation: not this entry
  CHECK(c.Find(7, "b", &v) == NodeCache::Hit::kAbsent);
  c.Insert(7, "d", "node-d", true);
  c.EraseHashed(NodeCache::KeyHash(7, "d"));
  CHECK(c.Find(7, "d", &v) == NodeCache::Hit::kUnknown);
  CHECK(c.Find(7, "b", &v) == NodeCache::Hit::kAbsent);
  c.Clear();
  CHECK(c.Find(7, "b", &v) == NodeCache::Hit::kUnknown);
  // Entries inserted after the clear live.
  c.Insert(7, "c", "node-c", true);
  CHECK(c.Find(7, "c", &v) == NodeCache::Hit::kPresent);
}

TEST_CASE("NodeCache of size 0 or too small is off") {
  for (size_t bytes : {size_t{0}, size_t{100}}) {
    NodeCache c(bytes);
    CHECK_FALSE(c.enabled());
    c.Insert(1, "a", "b", true);
    std::string v;
    CHECK(Find(c, 1, "a", &v) == Hit::kUnknown);
    c.Clear();
  }
}

TEST_CASE("NodeCache does not keep records too large for it") {
  NodeCache c(1 << 16);
  std::string big(c.capacity() / 16, 'x');
  c.Insert(1, "big", big, true);
  std::string v;
  CHECK(Find(c, 1, "big", &v) == Hit::kUnknown);
  CHECK(Find(c, 1, std::string(70000, 'k'), &v) == Hit::kUnknown);
  c.Insert(1, std::string(70000, 'k'), "v", true);  // key longer than a u16: ignored
  CHECK(Find(c, 1, std::string(70000, 'k'), &v) == Hit::kUnknown);
}

// Against a std::map model over many more records than fit: every hit must
// be the latest value written for that key, and the most recent records must
// still be there.
TEST_CASE("NodeCache under eviction never returns a stale or foreign value") {
  NodeCache c(1 << 14);
  std::map<std::pair<uint32_t, std::string>, std::pair<bool, std::string>> model;
  std::mt19937 rng(12345);
  int hits = 0;
  for (int i = 0; i < 200000; ++i) {
    uint32_t gen = rng() % 3;
    std::string key = "key" + std::to_string(rng() % 2000);
    if (rng() % 3 == 0) {
      bool present = rng() % 4 != 0;
      std::string value(rng() % 200, static_cast<char>('a' + rng() % 26));
      value += std::to_string(i);
      c.Insert(gen, key, value, present);
      model[{gen, key}] = {present, present ? value : std::string()};
      std::string v;
      // What was just written is found (records are far smaller than 1/16 of the ring).
      REQUIRE(Find(c, gen, key, &v) == (present ? Hit::kPresent : Hit::kAbsent));
      if (present) REQUIRE(v == value);
    } else {
      std::string v;
      Hit h = Find(c, gen, key, &v);
      if (h == Hit::kUnknown) continue;
      ++hits;
      auto it = model.find({gen, key});
      REQUIRE(it != model.end());
      REQUIRE(h == (it->second.first ? Hit::kPresent : Hit::kAbsent));
      if (h == Hit::kPresent) REQUIRE(v == it->second.second);
    }
    if (i % 50000 == 0) c.Clear();
  }
  CHECK(hits > 1000);  // the cache did serve
}

TEST_CASE("NodeCache keeps nearly every key while its table is 90% full") {
  // 1 MiB ring: 8192 slots; small records, so the table fills before the
  // ring. With one bucket per key about 8% of the keys found their bucket
  // full (each then costs a RocksDB read per query); two choices keep them.
  NodeCache c(1 << 20);
  const int keys = 8192 * 9 / 10;
  for (int i = 0; i < keys; ++i) c.Insert(1, "k" + std::to_string(i), "v", true);
  int found = 0;
  std::string v;
  for (int i = 0; i < keys; ++i) found += Find(c, 1, "k" + std::to_string(i), &v) == Hit::kPresent;
  CHECK(found >= keys * 995 / 1000);
}

TEST_CASE("NodeCache gives records in use a second chance before the ring overwrites them") {
  // A 64 KiB ring holds ~280 of these records; 20,000 one-off keys stream
  // through it while 16 hot keys are read all along, each at least once per
  // eighth of the ring written. Pure FIFO would lose the hot ones at every
  // wrap; they move to the head instead.
  NodeCache c(1 << 16);
  const std::string value(200, 'x');
  std::string v;
  for (int h = 0; h < 16; ++h)
    c.Insert(1, "hot" + std::to_string(h), value + std::to_string(h), true);
  int misses = 0;
  for (int i = 0; i < 20000; ++i) {
    c.Insert(1, "cold" + std::to_string(i), value, true);
    const std::string hot = "hot" + std::to_string(i % 16);
    if (Find(c, 1, hot, &v) != Hit::kPresent) {
      ++misses;
      c.Insert(1, hot, value + std::to_string(i % 16), true);
    } else {
      REQUIRE(v == value + std::to_string(i % 16));  // moved whole
    }
  }
  CHECK(misses == 0);
  // The cold keys still come and go: only the most recent are there.
  CHECK(Find(c, 1, "cold0", &v) == Hit::kUnknown);
  CHECK(Find(c, 1, "cold19999", &v) == Hit::kPresent);
}

TEST_CASE("NodeCache with a doorkeeper keeps a key the second time it is offered") {
  NodeCache c(1 << 20, NodeCache::Admission::kSecondSight);
  std::string v;
  c.Insert(1, "a", "one", true);
  CHECK(Find(c, 1, "a", &v) == Hit::kUnknown);  // seen once: not kept
  c.Insert(1, "a", "one", true);
  CHECK(Find(c, 1, "a", &v) == Hit::kPresent);
  CHECK(v == "one");
  c.Insert(1, "a", "two", true);  // cached: a new value replaces it at once
  CHECK(Find(c, 1, "a", &v) == Hit::kPresent);
  CHECK(v == "two");
  c.Insert(1, "b", "", false);
  c.Insert(1, "b", "", false);
  CHECK(Find(c, 1, "b", &v) == Hit::kAbsent);

  // A stream of one-off keys does not push out a key asked again and again
  // (the flood of random names: without the doorkeeper every one of them
  // would be written to the ring). 8192 slots; 200,000 one-offs.
  NodeCache flood(1 << 20, NodeCache::Admission::kSecondSight);
  NodeCache plain(1 << 20);
  int kept = 0;
  for (int i = 0; i < 200000; ++i) {
    const std::string once = "once" + std::to_string(i);
    flood.Insert(1, once, std::string(100, 'x'), true);
    plain.Insert(1, once, std::string(100, 'x'), true);
    if (i % 1000 == 0) {
      // A hot key, offered when it misses, checked for whether it stayed.
      for (NodeCache* cache : {&flood, &plain}) {
        const bool hit = Find(*cache, 1, "hot", &v) == Hit::kPresent;
        if (!hit) cache->Insert(1, "hot", "h", true);
        if (i > 0 && cache == &flood) kept += hit;
      }
    }
  }
  CHECK(kept >= 190);  // of 199 checks
  // The one-offs that were written: a fraction of the plain cache's (the
  // doorkeeper's false positives, up to a quarter just before it clears).
  int flood_once = 0, plain_once = 0;
  for (int i = 190000; i < 200000; ++i) {
    flood_once += Find(flood, 1, "once" + std::to_string(i), &v) != Hit::kUnknown;
    plain_once += Find(plain, 1, "once" + std::to_string(i), &v) != Hit::kUnknown;
  }
  CHECK(flood_once * 4 < plain_once);
}

TEST_CASE("NodeCache Preload keeps a key at once; Swap hands the contents over, not the counters") {
  NodeCache loaded(1 << 20, NodeCache::Admission::kSecondSight);
  std::string v;
  uint64_t bytes = 0;
  for (int i = 0; i < 1000; ++i) {
    const std::string n = std::to_string(i);
    loaded.Preload(7, "k" + n, "v" + n);  // no doorkeeper: kept the first time
    bytes += NodeCache::RecordBytes(n.size() + 1, n.size() + 1);
  }
  CHECK(loaded.bytes_written() == bytes);
  loaded.set_sequence(42);

  Counter hits, misses;
  NodeCache worker(1 << 16, NodeCache::Admission::kSecondSight);
  worker.set_counters(&hits, &misses);
  worker.Insert(7, "old", "x", true);
  worker.Insert(7, "old", "x", true);
  REQUIRE(Find(worker, 7, "old", &v) == Hit::kPresent);
  const uint64_t hits_before = hits.Get();

  worker.Swap(loaded);
  CHECK(worker.capacity() == (1u << 20));
  CHECK(worker.sequence() == 42);
  for (int i = 0; i < 1000; ++i) {
    REQUIRE(Find(worker, 7, "k" + std::to_string(i), &v) == Hit::kPresent);
    CHECK(v == "v" + std::to_string(i));
  }
  CHECK(Find(worker, 7, "old", &v) == Hit::kUnknown);
  CHECK(hits.Get() == hits_before + 1000);  // the worker's counters count on
  // The other side now holds the worker's old contents, and counts nowhere.
  CHECK(Find(loaded, 7, "old", &v) == Hit::kPresent);
  CHECK(hits.Get() == hits_before + 1000);
  // The doorkeeper still guards the swapped-in cache.
  worker.Insert(7, "new", "n", true);
  CHECK(Find(worker, 7, "new", &v) == Hit::kUnknown);
}

TEST_CASE("NodeCache InsertMissed after a miss keeps what Insert would") {
  for (auto admission : {NodeCache::Admission::kAll, NodeCache::Admission::kSecondSight}) {
    NodeCache c(1 << 20, admission);
    std::string v;
    for (int round = 0; round < 2; ++round) {
      for (int i = 0; i < 500; ++i) {
        const std::string k = "k" + std::to_string(i);
        if (Find(c, 3, k, &v) == Hit::kUnknown) c.InsertMissed(3, k, "v" + k, i % 2 == 0);
      }
    }
    // Kept at the first miss (kAll) or the second (the doorkeeper); the
    // absent ones as absent.
    for (int i = 0; i < 500; ++i) {
      const std::string k = "k" + std::to_string(i);
      if (i % 2 == 0) {
        REQUIRE(Find(c, 3, k, &v) == Hit::kPresent);
        CHECK(v == "v" + k);
      } else {
        CHECK(Find(c, 3, k, &v) == Hit::kAbsent);
      }
    }
  }
}

TEST_CASE("CacheHandoff passes one cache; a newer offer replaces an untaken one") {
  CacheHandoff handoff;
  CHECK(handoff.Take() == nullptr);
  auto first = std::make_unique<NodeCache>(1 << 16);
  first->set_sequence(1);
  handoff.Offer(std::move(first));
  auto second = std::make_unique<NodeCache>(1 << 16);
  second->set_sequence(2);
  handoff.Offer(std::move(second));  // the first is freed (ASan would see a leak)
  std::unique_ptr<NodeCache> taken = handoff.Take();
  REQUIRE(taken != nullptr);
  CHECK(taken->sequence() == 2);
  CHECK(handoff.Take() == nullptr);
  handoff.Offer(std::make_unique<NodeCache>(1 << 16));  // freed with the handoff
}

// A cache loaded with keys k0..k{n-1} of generation 5, complete for gen 5 keys
// that `covers` (default: all).
std::unique_ptr<NodeCache> Loaded(int n, size_t bytes = 1 << 20, size_t max_changes = 100,
                                  NodeCache::Covers covers = nullptr) {
  auto c = std::make_unique<NodeCache>(bytes, NodeCache::Admission::kSecondSight);
  c->TrackChanges(max_changes);
  for (int i = 0; i < n; ++i) c->Preload(5, "k" + std::to_string(i), "v" + std::to_string(i));
  c->SetComplete(covers ? covers
                        : [](uint32_t gen, std::string_view, uint64_t) { return gen == 5; });
  return c;
}

TEST_CASE("NodeCache complete after a load: a key it does not hold is absent, without a read") {
  Counter hits, misses;
  auto c = Loaded(1000);
  c->set_counters(&hits, &misses);
  REQUIRE(c->complete());
  std::string v;
  CHECK(Find(*c, 5, "k7", &v) == Hit::kPresent);
  CHECK(v == "v7");
  CHECK(Find(*c, 5, "nope", &v) == Hit::kAbsent);
  CHECK(Find(*c, 5, "k1000", &v) == Hit::kAbsent);
  CHECK(misses.Get() == 0);
  CHECK(hits.Get() == 3);
  // Not covered: another generation.
  CHECK(Find(*c, 6, "nope", &v) == Hit::kUnknown);
  CHECK(misses.Get() == 1);
  // Without TrackChanges before the load, SetComplete does nothing.
  NodeCache plain(1 << 20);
  plain.Preload(5, "a", "x");
  plain.SetComplete([](uint32_t, std::string_view, uint64_t) { return true; });
  CHECK_FALSE(plain.complete());
  CHECK(Find(plain, 5, "b", &v) == Hit::kUnknown);
}

TEST_CASE("NodeCache Peek: what Find would answer, counting nothing") {
  Counter hits, misses;
  auto c = Loaded(1000);
  c->set_counters(&hits, &misses);
  const auto peek = [&](uint32_t gen, const std::string& key) {
    return c->Peek(gen, key, NodeCache::KeyHash(gen, key));
  };
  CHECK(peek(5, "k7") == Hit::kPresent);
  CHECK(peek(5, "nope") == Hit::kAbsent);
  CHECK(peek(6, "k7") == Hit::kUnknown);  // not covered
  c->EraseHashed(NodeCache::KeyHash(5, "k8"));
  c->EraseHashed(NodeCache::KeyHash(5, "new"));
  CHECK(peek(5, "k8") == Hit::kUnknown);
  CHECK(peek(5, "new") == Hit::kUnknown);
  CHECK(hits.Get() == 0);
  CHECK(misses.Get() == 0);
  // Peek agrees with Find.
  std::string v;
  for (const char* key : {"k0", "k7", "nope", "k8", "new"})
    CHECK(peek(5, key) == Find(*c, 5, key, &v));
  // And moves nothing: r0 lies in the oldest eighth of a ring 7/8 full,
  // where Find gives it a second chance (a copy at the ring's head).
  NodeCache small(8192);
  for (int i = 0; i < 33; ++i)
    small.Insert(5, "r" + std::to_string(i), std::string(200, 'x'), true);
  const uint64_t written = small.bytes_written();
  CHECK(small.Peek(5, "r0", NodeCache::KeyHash(5, "r0")) == Hit::kPresent);
  CHECK(small.bytes_written() == written);
  CHECK(Find(small, 5, "r0", &v) == Hit::kPresent);
  CHECK(small.bytes_written() > written);
  // A remembered absence answers too; a cache that knows nothing does not.
  NodeCache plain(1 << 20);
  plain.Insert(5, "gone", {}, false);
  CHECK(plain.Peek(5, "gone", NodeCache::KeyHash(5, "gone")) == Hit::kAbsent);
  CHECK(plain.Peek(5, "other", NodeCache::KeyHash(5, "other")) == Hit::kUnknown);
  NodeCache off(0);
  CHECK(off.Peek(5, "gone", NodeCache::KeyHash(5, "gone")) == Hit::kUnknown);
}

TEST_CASE("NodeCache complete: `unseen` keys are absent before the slots are read") {
  // Keys "w..." are the rare kind: the load saw only w1 (a filter would say
  // so); `unseen` answers for the others without the table.
  auto c = std::make_unique<NodeCache>(1 << 20, NodeCache::Admission::kSecondSight);
  c->TrackChanges(100);
  for (int i = 0; i < 100; ++i) c->Preload(5, "k" + std::to_string(i), "v");
  c->Preload(5, "w1", "wild");
  int asked = 0;
  c->SetComplete([](uint32_t gen, std::string_view, uint64_t) { return gen == 5; },
                 [&asked](uint32_t gen, std::string_view key, uint64_t) {
                   ++asked;
                   return gen == 5 && key.starts_with("w") && key != "w1";
                 });
  Counter hits, misses;
  c->set_counters(&hits, &misses);
  std::string v;
  CHECK(Find(*c, 5, "w1", &v) == Hit::kPresent);
  CHECK(v == "wild");
  CHECK(Find(*c, 5, "w2", &v) == Hit::kAbsent);
  CHECK(Find(*c, 5, "k3", &v) == Hit::kPresent);
  CHECK(asked == 3);
  CHECK(hits.Get() == 3);
  CHECK(misses.Get() == 0);
  // A name created (or changed) since the load is read, though `unseen`
  // says the load did not see it.
  c->EraseHashed(NodeCache::KeyHash(5, "w3"));
  CHECK(Find(*c, 5, "w3", &v) == Hit::kUnknown);
  CHECK(Find(*c, 5, "w4", &v) == Hit::kAbsent);
  // Swapped along with the rest; forgotten when the cache stops knowing.
  NodeCache other(1 << 16);
  other.Swap(*c);
  asked = 0;
  CHECK(Find(other, 5, "w4", &v) == Hit::kAbsent);
  CHECK(asked == 1);
  other.Clear();
  asked = 0;
  CHECK(Find(other, 5, "w4", &v) == Hit::kUnknown);
  CHECK(asked == 0);
}

TEST_CASE("NodeCache complete: only the keys `covers` names are known absent") {
  auto c = Loaded(100, 1 << 20, 100,
                  [](uint32_t, std::string_view key, uint64_t) { return key.starts_with("k"); });
  std::string v;
  CHECK(Find(*c, 5, "k500", &v) == Hit::kAbsent);
  CHECK(Find(*c, 5, "x500", &v) == Hit::kUnknown);
}

TEST_CASE("NodeCache complete: a changed name is read again, created or not") {
  auto c = Loaded(1000);
  std::string v;
  // The change log erases by hash: an existing name and one created since.
  c->EraseHashed(NodeCache::KeyHash(5, "k3"));
  c->EraseHashed(NodeCache::KeyHash(5, "new"));
  c->Erase(5, "other-new");
  CHECK(c->complete());
  CHECK(Find(*c, 5, "k3", &v) == Hit::kUnknown);
  CHECK(Find(*c, 5, "new", &v) == Hit::kUnknown);
  CHECK(Find(*c, 5, "other-new", &v) == Hit::kUnknown);
  CHECK(Find(*c, 5, "k4", &v) == Hit::kPresent);
  CHECK(Find(*c, 5, "never", &v) == Hit::kAbsent);
  // Read and remembered again (the doorkeeper's second time): found; still
  // asks the store if it goes.
  c->InsertMissed(5, "new", "created", true);
  CHECK(Find(*c, 5, "new", &v) == Hit::kUnknown);
  c->InsertMissed(5, "new", "created", true);
  CHECK(Find(*c, 5, "new", &v) == Hit::kPresent);
  c->EraseHashed(NodeCache::KeyHash(5, "new"));
  CHECK(Find(*c, 5, "new", &v) == Hit::kUnknown);
}

TEST_CASE("NodeCache stops knowing absence when it may have lost a loaded record") {
  std::string v;
  SUBCASE("more names changed than tracked") {
    auto c = Loaded(100, 1 << 20, 10);
    for (int i = 0; i < 10; ++i) c->EraseHashed(NodeCache::KeyHash(5, "c" + std::to_string(i)));
    c->EraseHashed(NodeCache::KeyHash(5, "c0"));  // again: no new name
    CHECK(c->complete());
    c->EraseHashed(NodeCache::KeyHash(5, "c10"));
    CHECK_FALSE(c->complete());
  }
  SUBCASE("cleared (the change log ran past it)") {
    auto c = Loaded(100);
    c->Clear();
    CHECK_FALSE(c->complete());
  }
  SUBCASE("the ring wrapped onto the loaded records") {
    auto c = Loaded(100, 1 << 16);
    int i = 0;
    // Records of ~250 bytes: the ring wraps before the table fills.
    while (c->complete() && i < 100000)
      c->Preload(7, "w" + std::to_string(i++), std::string(200, 'x'));
    CHECK_FALSE(c->complete());
    CHECK(c->bytes_written() > c->capacity());
    CHECK(Find(*c, 5, "nope", &v) == Hit::kUnknown);
  }
  SUBCASE("slots taken from live records, more than changes are tracked") {
    // Small records: the table (one slot per 128 ring bytes) fills up long
    // before the ring wraps, and new records then take live ones' slots.
    auto c = Loaded(100, 1 << 16, 10);
    int i = 0;
    for (; c->complete() && i < 100000; ++i) c->Preload(7, std::to_string(i), "");
    CHECK_FALSE(c->complete());
    CHECK(c->bytes_written() <= c->capacity());
  }
  SUBCASE("a record too large to keep is read from the store") {
    auto c = Loaded(10, 1 << 16);
    c->Preload(5, "big", std::string(8192, 'b'));
    CHECK(c->complete());
    CHECK(Find(*c, 5, "big", &v) == Hit::kUnknown);
    CHECK(Find(*c, 5, "small", &v) == Hit::kAbsent);
  }
}

TEST_CASE("NodeCache Swap carries completeness and the changes with the contents") {
  auto loaded = Loaded(100);
  loaded->EraseHashed(NodeCache::KeyHash(5, "created"));
  NodeCache owned(1 << 16);
  owned.Swap(*loaded);
  std::string v;
  CHECK(owned.complete());
  CHECK_FALSE(loaded->complete());
  CHECK(Find(owned, 5, "k1", &v) == Hit::kPresent);
  CHECK(Find(owned, 5, "nope", &v) == Hit::kAbsent);
  CHECK(Find(owned, 5, "created", &v) == Hit::kUnknown);
}

TEST_CASE("NodeCache complete: a record whose slot another took is read from the store") {
  // 512 slots: 600 small records overflow the table, not the ring.
  auto c = Loaded(0, 1 << 16, 1000);
  for (int i = 0; i < 600; ++i) c->Preload(5, "k" + std::to_string(i), "v");
  REQUIRE(c->complete());
  REQUIRE(c->bytes_written() <= c->capacity());
  std::string v;
  int kept = 0, lost = 0;
  for (int i = 0; i < 600; ++i) {
    const Hit h = Find(*c, 5, "k" + std::to_string(i), &v);
    CHECK(h != Hit::kAbsent);  // never: it exists
    (h == Hit::kPresent ? kept : lost) += 1;
  }
  CHECK(lost > 0);
  CHECK(kept > lost);
  CHECK(Find(*c, 5, "never", &v) == Hit::kAbsent);
}

TEST_CASE("KeyFilter: every key added may be there; few others") {
  KeyFilter f(100000);
  for (int i = 0; i < 100000; ++i) f.Add(NodeCache::KeyHash(3, "n" + std::to_string(i)));
  for (int i = 0; i < 100000; ++i)
    CHECK(f.MayContain(NodeCache::KeyHash(3, "n" + std::to_string(i))));
  int maybe = 0;
  for (int i = 0; i < 100000; ++i)
    maybe += f.MayContain(NodeCache::KeyHash(3, "m" + std::to_string(i)));
  CHECK(maybe < 3000);  // ~1-2% at 12 bits per key
  MESSAGE("false maybe: " << maybe << " of 100000");
}

}  // namespace
}  // namespace enumd::store
