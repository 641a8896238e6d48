#include "daemon/cache_warmer.h"

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "common/counter.h"
#include "net/listen_socket.h"
#include "query/query_test_support.h"
#include "zone/zone_transaction.h"

namespace enumd::daemon {
namespace {

// `count` numbers under 4.4.e164.arpa. beside the apex.
std::string NumbersZone(int count, uint32_t serial, const std::string& tag = "a",
                        const std::string& extra = "") {
  std::string z = "$ORIGIN e164.arpa.\n$TTL 300\n@ SOA ns.example. h.example. " +
                  std::to_string(serial) + " 3600 600 86400 300\n@ NS ns.example.\n";
  for (int i = 0; i < count; ++i) {
    std::string n = std::to_string(1000000 + i);
    std::string owner;
    for (char d : n) owner.insert(0, std::string(1, d) + ".");
    z += owner + "4.4 NAPTR 10 100 \"u\" \"E2U+sip\" \"!^.*$!sip:" + n + "@" + tag + "!\" .\n";
  }
  return z + extra;
}

std::vector<uint8_t> Query(const std::string& name) {
  std::vector<uint8_t> q = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0};
  const std::string wire = dns::WireName(name);
  q.insert(q.end(), wire.begin(), wire.end());
  q.insert(q.end(), {0, 35, 0, 1});
  return q;
}

template <typename F>
bool WaitFor(F done) {
  for (int i = 0; i < 1000 && !done(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

struct Warmed {
  query::ServedZone served;
  store::CacheHandoff handoff;
  Counter hits, misses;
  std::unique_ptr<CacheWarmer> warmer;

  // `workers` > 1: udp.spread: name over that many, this responder worker 0.
  explicit Warmed(int count, double headroom = 2.0, size_t slice_nodes = 65536,
                  std::function<void(Warmed*)> between_slices = nullptr, int workers = 1,
                  size_t slack = size_t{1} << 20, size_t max_changes = 0,
                  const std::string& extra = "")
      : served(NumbersZone(count, 1, "a", extra), Options()) {
    served.responder->set_cache_handoff(&handoff);
    served.responder->set_cache_counters(&hits, &misses);
    CacheWarmer::Options o;
    o.poll_ms = 10;
    o.headroom = headroom;
    o.slack = headroom < 1 ? 0 : slack;
    o.slice_nodes = slice_nodes;
    o.workers = workers;
    o.by_name = workers > 1;
    o.max_changes = max_changes;
    if (between_slices) o.between_slices = [this, between_slices] { between_slices(this); };
    warmer = std::make_unique<CacheWarmer>(served.store.get(), &served.registry, o,
                                           std::vector<CacheWarmer::Target>{{&handoff, 0}});
    warmer->Start();
  }
  ~Warmed() { warmer->Stop(); }
  static query::ResponderOptions Options() {
    query::ResponderOptions o;
    o.node_cache_bytes = 1 << 16;  // the cold cache: a few hundred names
    return o;
  }
  // Answers `name`: its rcode; the answer's bytes in *answer if given.
  // Each query is prefetched first, as the UDP listener does: the
  // closest-encloser search run ahead must change no answer.
  int Ask(const std::string& name, std::string* answer = nullptr) {
    std::vector<uint8_t> q = Query(name), out(4096);
    const uint8_t* batch = q.data();
    const size_t len = q.size();
    served.responder->Prefetch(&batch, &len, 1);
    const size_t n = served.responder->Respond(q.data(), q.size(), out.data(), out.size(), false);
    REQUIRE(n >= 12);
    if (answer) answer->assign(reinterpret_cast<const char*>(out.data()), n);
    return out[3] & 0x0F;
  }
  // Replaces the NAPTR of number `i` with one whose regexp ends "@tag!"; an
  // unsynced commit is not published (the writer publishes after its sync).
  void Change(int i, const std::string& tag, bool sync) {
    Put(Number(i), std::to_string(i), tag, sync);
  }
  // Sets the NAPTR of `name` (created if new) to "sip:user@tag"; with an
  // empty `user`, deletes it (and so the name).
  void Put(const std::string& name, const std::string& user, const std::string& tag, bool sync) {
    auto t = zone::ZoneTransaction::Begin(served.store.get(), dns::WireName("e164.arpa."));
    REQUIRE(t.ok());
    const std::string owner = dns::WireName(name);
    const auto* o = reinterpret_cast<const uint8_t*>(owner.data());
    REQUIRE((*t)->DeleteRRset(o, 35).ok());
    if (!user.empty()) {
      std::string rdata = {0, 10, 0, 100, 1, 'u', 7};
      rdata += "E2U+sip";
      const std::string re = "!^.*$!sip:" + user + "@" + tag + "!";
      rdata += static_cast<char>(re.size());
      rdata += re;
      rdata += '\0';
      REQUIRE((*t)->Add(o, 35, 300, rdata).ok());
    }
    REQUIRE((*t)->Commit(zone::SerialPolicy::kIncrement, 0, store::JournalLimits(), sync).ok());
  }
  static std::string Number(int i) {
    std::string owner;
    for (char d : std::to_string(1000000 + i)) owner.insert(0, std::string(1, d) + ".");
    return owner + "4.4.e164.arpa.";
  }
};

std::string Number(int i) { return Warmed::Number(i); }

TEST_CASE("CacheWarmer loads every name; the first query for each is a cache hit") {
  Warmed w(3000);
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 1; }));
  CHECK(w.warmer->loaded().names > 3000);  // and the empty non-terminals
  for (int i = 0; i < 3000; i += 7) CHECK(w.Ask(Number(i)) == 0);
  CHECK(w.misses.Get() == 0);
  CHECK(w.hits.Get() >= 3000 / 7);
  // Nothing changed: no second load.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(w.warmer->loaded().loads == 1);
}

TEST_CASE("CacheWarmer: a loaded cache knows absent names; created and deleted ones are read") {
  // Slices of 500 nodes; after the first, a name is created that sorts into
  // it (a child of number 0): behind the walk.
  bool once = false;
  Warmed w(3000, 2.0, 500, [&once](Warmed* self) {
    if (once) return;
    once = true;
    self->Put("9." + Number(0), "child", "behind", true);
  });
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 1; }));
  CHECK(once);
  REQUIRE(w.Ask(Number(1)) == 0);  // takes the loaded cache
  // The change made the apex (its SOA serial) be read again: twice, then
  // kept (the doorkeeper).
  REQUIRE(w.Ask(Number(4000)) == 3);
  REQUIRE(w.Ask(Number(4000)) == 3);
  // Numbers never there, and a name outside the numbers: NXDOMAIN with
  // every probe (the name, its encloser, the wildcard) answered by the cache.
  const uint64_t misses = w.misses.Get();
  for (int i = 3000; i < 3100; ++i) CHECK(w.Ask(Number(i)) == 3);
  CHECK(w.Ask("1.2.3.e164.arpa.") == 3);
  CHECK(w.misses.Get() == misses);
  std::string answer;
  REQUIRE(w.Ask("9." + Number(0), &answer) == 0);
  CHECK(answer.find("sip:child@behind!") != std::string::npos);
  // Created after the load, under a number and beside the numbers; deleted.
  w.Put(Number(5000), "new", "after", true);
  w.Put("5." + Number(17), "child", "after", true);
  w.Put(Number(7), "", "", true);
  REQUIRE(w.Ask(Number(5000), &answer) == 0);
  CHECK(answer.find("sip:new@after!") != std::string::npos);
  REQUIRE(w.Ask("5." + Number(17), &answer) == 0);
  CHECK(answer.find("sip:child@after!") != std::string::npos);
  CHECK(w.Ask(Number(7)) == 3);
  CHECK(w.Ask(Number(8)) == 0);
}

TEST_CASE("CacheWarmer: wildcards loaded, created and deleted after the load are answered right") {
  // A wildcard block the load sees (its parent an empty non-terminal).
  const std::string loaded =
      "*.5.0.0.1.4.4 NAPTR 100 10 \"u\" \"E2U+sip\" \"!^.*$!sip:wild@loaded!\" .\n";
  for (int workers : {1, 2}) {
    CAPTURE(workers);
    Warmed w(3000, 2.0, 65536, nullptr, workers, size_t{1} << 20, 0, loaded);
    REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 1; }));
    REQUIRE(w.Ask(Number(1)) == 0);  // takes the loaded cache
    const uint64_t misses = w.misses.Get();
    std::string answer;
    REQUIRE(w.Ask("1.2.5.0.0.1.4.4.e164.arpa.", &answer) == 0);
    CHECK(answer.find("sip:wild@loaded!") != std::string::npos);
    // Below a number without a wildcard child: NXDOMAIN. (With one worker
    // the loaded cache knew that before the wildcard filter too; these
    // check that the filter never hides a wildcard, loaded or made later.)
    CHECK(w.Ask("9." + Number(277)) == 3);
    if (workers == 1) CHECK(w.misses.Get() == misses);
    // A wildcard created after the load synthesises at once; deleted, it
    // is gone at once.
    w.Put("*." + Number(277), "wild", "after", true);
    REQUIRE(w.Ask("9." + Number(277), &answer) == 0);
    CHECK(answer.find("sip:wild@after!") != std::string::npos);
    CHECK(w.Ask(Number(277)) == 0);  // the name itself keeps its own data
    w.Put("*." + Number(277), "", "", true);
    CHECK(w.Ask("9." + Number(277)) == 3);
    // The loaded one deleted, then made again.
    w.Put("*.5.0.0.1.4.4.e164.arpa.", "", "", true);
    CHECK(w.Ask("1.2.5.0.0.1.4.4.e164.arpa.") == 3);
    w.Put("*.5.0.0.1.4.4.e164.arpa.", "wild", "again", true);
    REQUIRE(w.Ask("1.2.5.0.0.1.4.4.e164.arpa.", &answer) == 0);
    CHECK(answer.find("sip:wild@again!") != std::string::npos);
  }
}

TEST_CASE("CacheWarmer: a batch of deep absent names prefetched at once changes no answer") {
  Warmed w(3000);
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 1; }));
  REQUIRE(w.Ask(Number(1)) == 0);  // takes the loaded cache
  // 32 queries (the most one Prefetch runs ahead) and more: numbers, names
  // below numbers, names of 120 labels and more, the apex, another zone.
  std::vector<std::string> names;
  for (int i = 0; i < 40; ++i) {
    std::string deep;
    for (int l = 0; l < 100 + i % 27; ++l) deep += std::to_string((i + l) % 10) + ".";
    names.push_back(i % 3 == 0   ? Number(i * 97)
                    : i % 3 == 1 ? deep + Number(i)
                                 : deep + "4.4.e164.arpa.");
  }
  names.push_back("e164.arpa.");
  names.push_back("example.com.");
  std::vector<std::vector<uint8_t>> queries;
  std::vector<int> alone;
  for (const std::string& n : names) {
    if (dns::WireName(n).size() > 255) continue;
    queries.push_back(Query(n));
    alone.push_back(w.Ask(n));
  }
  REQUIRE(queries.size() > 32);
  const uint64_t misses = w.misses.Get();
  std::vector<const uint8_t*> batch;
  std::vector<size_t> lens;
  for (const auto& q : queries) {
    batch.push_back(q.data());
    lens.push_back(q.size());
  }
  w.served.responder->Prefetch(batch.data(), lens.data(), batch.size());
  CHECK(w.misses.Get() == misses);  // a hint counts nothing
  for (size_t i = 0; i < queries.size(); ++i) {
    std::vector<uint8_t> out(4096);
    const size_t n = w.served.responder->Respond(queries[i].data(), queries[i].size(), out.data(),
                                                 out.size(), false);
    REQUIRE(n >= 12);
    CHECK((out[3] & 0x0F) == alone[i]);
  }
}

TEST_CASE("CacheWarmer loads again when the ring fills up or a new version is served") {
  // Two workers by name, this one worker 0, rings of the tables' bytes
  // (no slack): the numbers the kernel sends to worker 1 are not in this
  // cache; asked here (twice: the doorkeeper), each is read from the store
  // and remembered, until the loaded names would be overwritten.
  Warmed w(3000, 2.0, 65536, nullptr, 2, 0);
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 1; }));
  REQUIRE(w.Ask(Number(1)) == 0);  // takes the loaded cache
  // Names that do not exist are known absent (this thread's by its cache,
  // the other's by the filter of every key): they fill nothing.
  // So are numbers that do not exist: the search for their closest encloser
  // reads empty non-terminals of both threads' shares, which every cache
  // holds.
  const uint64_t before = w.misses.Get();
  for (int i = 0; i < 2000; ++i) CHECK(w.Ask(std::to_string(i) + ".9.9.e164.arpa.") == 3);
  for (int i = 3000; i < 5000; ++i) CHECK(w.Ask(Number(i)) == 3);
  // And those empty non-terminals themselves (NODATA), from either share.
  for (int i = 0; i < 3000; i += 10) CHECK(w.Ask(Number(i).substr(2)) == 0);
  CHECK(w.misses.Get() - before < 100);  // the filter's few false "maybe"s, and 9.9's probe
  const uint64_t loads = w.warmer->loaded().loads;
  int asked = 0;
  for (int i = 0; i < 3000 && w.warmer->loaded().loads == loads; ++i) {
    const std::vector<uint8_t> q = Query(Number(i));
    if (net::UdpSocketForDatagram(q.data(), q.size(), 2) != 1) continue;
    ++asked;
    CHECK(w.Ask(Number(i)) == 0);
    CHECK(w.Ask(Number(i)) == 0);
    if (asked % 100 == 99) std::this_thread::sleep_for(std::chrono::milliseconds(30));
  }
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == loads + 1; }));
  CHECK(asked > 100);  // not at once: the ring had room for some
  // A new version of the zone (an import, as a reload does it).
  query::ServedZone& s = w.served;
  const std::string file = s.dir.Write("zone2.db", NumbersZone(3000, 2, "b"));
  zone::ImportOptions io;
  io.origin = "e164.arpa.";
  auto r = zone::ImportZoneFile(s.store.get(), file, io);
  REQUIRE(r.ok());
  auto table = std::make_unique<zone::ZoneTable>();
  zone::Zone z;
  z.meta = r->meta;
  z.origin = dns::WireName("e164.arpa.");
  table->Add(z);
  s.registry.Publish(std::move(table));
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == loads + 2; }));
  const uint64_t misses = w.misses.Get();
  std::string answer;
  int mine = 0;
  for (int i = 0; i < 3000; i += 11) {
    const std::vector<uint8_t> q = Query(Number(i));
    if (net::UdpSocketForDatagram(q.data(), q.size(), 2) != 0) continue;
    ++mine;
    CHECK(w.Ask(Number(i), &answer) == 0);
    CHECK(answer.find("@b!") != std::string::npos);  // the new version's data
  }
  CHECK(mine > 50);
  CHECK(w.misses.Get() == misses);
}

TEST_CASE("CacheWarmer loads again when a cache stops knowing which names do not exist") {
  // Caches that track 4 changed names; each commit changes a number and the
  // apex (its SOA serial).
  Warmed w(3000, 2.0, 65536, nullptr, 1, size_t{1} << 20, 4);
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 1; }));
  REQUIRE(w.Ask(Number(1)) == 0);  // takes the loaded cache
  CHECK(w.warmer->loaded().caches == 1);
  CHECK(w.warmer->loaded().complete == 1);
  for (int i = 10; i < 13; ++i) w.Change(i, "c", true);
  REQUIRE(w.Ask(Number(1)) == 0);  // applies the log: 4 names changed
  CHECK(w.warmer->loaded().complete == 1);
  w.Change(13, "c", true);
  CHECK(w.Ask(Number(4000)) == 3);  // the 5th: read from the store now
  CHECK(w.warmer->loaded().complete == 0);
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 2; }));
  std::string answer;
  REQUIRE(w.Ask(Number(13), &answer) == 0);  // takes the new one
  CHECK(answer.find("sip:13@c!") != std::string::npos);
  CHECK(w.warmer->loaded().complete == 1);
  CHECK(w.Ask(Number(4000)) == 3);
}

TEST_CASE("CacheWarmer loads again into bigger caches when the zones did not fit") {
  // Rings of half the tables' bytes: the records (which take more than the
  // tables' prefix-compressed keys) overflow the first load.
  Warmed w(3000, 0.5);
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  CHECK(w.warmer->loaded().loads == 2);  // and no more: they fit now
  for (int i = 0; i < 3000; i += 7) CHECK(w.Ask(Number(i)) == 0);
  CHECK(w.misses.Get() == 0);
}

TEST_CASE("CacheWarmer reads only published data, and drops what changed behind its slices") {
  // 3000 numbers in slices of 500 nodes. After the first slice: number 0
  // (loaded already) changes and is published; number 2999 (a later slice)
  // changes without being published, as an UPDATE between the writer's
  // batch write and its sync.
  bool once = false;
  Warmed w(3000, 2.0, 500, [&once](Warmed* self) {
    if (once) return;
    once = true;
    self->Change(0, "published", true);
    self->Change(2999, "unsynced", false);
  });
  REQUIRE(WaitFor([&] { return w.warmer->loaded().loads == 1; }));
  CHECK(once);
  std::string answer;
  REQUIRE(w.Ask(Number(0), &answer) == 0);
  CHECK(answer.find("@published!") != std::string::npos);
  REQUIRE(w.Ask(Number(2999), &answer) == 0);
  CHECK(answer.find("@unsynced!") == std::string::npos);
  CHECK(answer.find("sip:1002999@a!") != std::string::npos);
  // Once published, it is answered (the log drops the cached old value).
  REQUIRE(w.served.store->Publish().ok());
  REQUIRE(w.Ask(Number(2999), &answer) == 0);
  CHECK(answer.find("@unsynced!") != std::string::npos);
  // Every other number came from the cache.
  const uint64_t misses = w.misses.Get();
  for (int i = 1; i < 2999; i += 13) CHECK(w.Ask(Number(i)) == 0);
  CHECK(w.misses.Get() == misses);
}

}  // namespace
}  // namespace enumd::daemon
